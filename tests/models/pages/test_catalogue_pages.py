"""The catalogue pages over plain HTTP: any signed-in key reads the list and a model's page; the change form
is the admin's, needs the session's CSRF token, and refuses unknown fields, bad dates and unknown successors
with the service's words on a 4xx page; a model outside the catalogue is a 404 page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rungway.domain.keys import Role
from tests.models.catalogue.support import CATALOGUE_CONFIG
from tests.servers import Gateway
from tests.web.support import UiClient

PAGE = "/ui/models/catalogue/new-model-2026-01-01"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway]) -> Gateway:
    return gateway_factory(CATALOGUE_CONFIG)


def _signed_in(ui_client: Callable[..., UiClient], gw: Gateway, secret: str) -> UiClient:
    client = ui_client(gw)
    assert client.sign_in(secret).status_code == 303
    return client


def test_reading_and_changing_with_the_api_rules(gw: Gateway, ui_client: Callable[..., UiClient]) -> None:
    viewer = _signed_in(ui_client, gw, gw.create_key("test", role=Role.VIEWER).secret)
    listed = viewer.get("/ui/models/catalogue?status=blocked")
    assert listed.status_code == 200 and "banned-model-2025-01-01" in listed.text and "gpt-4o-mini" not in listed.text
    page = viewer.get(PAGE)
    assert page.status_code == 200 and "Change its status" not in page.text
    assert viewer.post(PAGE, {"action": "block"}).status_code == 403
    assert viewer.get("/ui/models/catalogue/nope-model").status_code == 404
    admin = _signed_in(ui_client, gw, "admin-secret")
    assert "Change its status" in admin.get(PAGE).text
    assert admin.post(PAGE, {"action": "block"}, csrf="").status_code == 403
    assert admin.post(PAGE, {"action": "block", "colour": "red"}).status_code == 400
    assert admin.post(PAGE, {"action": "deprecate", "sunset": "soon"}).status_code == 400
    refused = admin.post(PAGE, {"action": "block", "successor": "gpt-99"})
    assert refused.status_code == 400 and "is not in the catalogue" in refused.text
    done = admin.post(PAGE, {"action": "approve", "comment": "evals passed", "evidence_kind": "eval_run",
                             "evidence_id": "run_7"})  # fmt: skip
    assert done.status_code == 303 and done.headers["Location"] == PAGE
    shown = admin.get(PAGE).text
    assert "evals passed" in shown and "run_7" in shown
    assert "run_7" not in viewer.get(PAGE).text  # evidence ids are the admin's to see
