"""`/api/models/catalogue`: any key reads the catalogue; only an admin approves, deprecates, blocks or unblocks;
every change is kept with who, when, why and the evidence, whose ids only admins see; bad bodies are 400s."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rungway.domain.keys import Role
from tests.api.http import call
from tests.models.catalogue.support import CATALOGUE_CONFIG
from tests.servers import Gateway

BASE = "/api/models/catalogue"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CATALOGUE_CONFIG, store_url=store_url)


def test_any_key_lists_the_catalogue_with_filters(gw: Gateway) -> None:
    viewer = gw.create_key("test", role=Role.VIEWER).secret
    status, listed = call(gw, "GET", BASE, viewer)
    assert status == 200 and listed["as_of"] == "2026-11-30"
    names = {e["name"] for e in listed["data"]}
    assert {"old-model-2025-01-01", "gpt-4o", "claude-sonnet-4-5-20250929"} <= names
    status, blocked = call(gw, "GET", f"{BASE}?status=blocked", viewer)
    assert [e["name"] for e in blocked["data"]] == ["banned-model-2025-01-01"]
    status, google = call(gw, "GET", f"{BASE}?provider=google", viewer)
    assert google["data"] and all(e["provider"] == "google" for e in google["data"])
    status, entry = call(gw, "GET", f"{BASE}/gpt-4o", viewer)
    assert status == 200 and entry["floating"] and entry["alias_of"] == "gpt-4o-2024-08-06" and entry["history"] == []


def test_only_an_admin_changes_status_and_evidence_ids_are_shown_to_admins_only(gw: Gateway) -> None:
    developer = gw.create_key("test", role=Role.DEVELOPER).secret
    status, refused = call(gw, "POST", f"{BASE}/new-model-2026-01-01/approve", developer, {})
    assert status == 403 and refused["error"]["code"] == "insufficient_role"
    body = {"comment": "passed the support evals", "evidence": {"kind": "eval_run", "id": "run_123"}}
    status, change = call(gw, "POST", f"{BASE}/new-model-2026-01-01/approve", body=body)
    assert status == 200 and change["status"] == "approved" and change["actor"] == "admin"
    status, change = call(
        gw, "POST", f"{BASE}/new-model-2026-01-01/deprecate", body={"sunset": "2027-06-01", "comment": "moving on"}
    )
    assert status == 200 and change["status"] == "deprecated" and change["sunset"] == "2027-06-01"
    status, admin_view = call(gw, "GET", f"{BASE}/new-model-2026-01-01")
    assert [c["action"] for c in admin_view["history"]] == ["deprecate", "approve"]
    assert admin_view["approval"]["evidence"] == {"kind": "eval_run", "id": "run_123"}
    assert admin_view["status"] == "deprecated" and admin_view["sunset"] == "2027-06-01"
    assert admin_view["source"] == "store"
    status, dev_view = call(gw, "GET", f"{BASE}/new-model-2026-01-01", developer)
    assert status == 200 and dev_view["approval"]["evidence"] == {"kind": "eval_run", "id": None}
    assert dev_view["history"][1]["actor_key_id"] is None


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (f"{BASE}/nope-model/approve", {}, 404),
        (f"{BASE}/new-model-2026-01-01/approve", {"evidence": {"kind": "vibes", "id": "x"}}, 400),
        (f"{BASE}/new-model-2026-01-01/approve", {"evidence": {"kind": "note"}}, 400),
        (f"{BASE}/new-model-2026-01-01/approve", {"colour": "red"}, 400),
        (f"{BASE}/new-model-2026-01-01/approve", {"sunset": "2027-01-01"}, 400),
        (f"{BASE}/new-model-2026-01-01/deprecate", {"sunset": "someday"}, 400),
        (f"{BASE}/new-model-2026-01-01/deprecate", {"deprecated": "2027-02-01", "sunset": "2027-01-01"}, 400),
        (f"{BASE}/new-model-2026-01-01/block", {"successor": "gpt-99"}, 400),
        (f"{BASE}/new-model-2026-01-01/block", {"successor": "new-model-2026-01-01"}, 400),
        (f"{BASE}/new-model-2026-01-01/block", b"[1, 2]", 400),
    ],
)
def test_bad_changes_are_4xx_in_the_api_error_shape(gw: Gateway, path: str, body: object, expected: int) -> None:
    status, answer = call(gw, "POST", path, body=body)
    assert status == expected, answer
    assert set(answer["error"]) >= {"message", "type"}


def test_reading_a_model_outside_the_catalogue_is_404(gw: Gateway) -> None:
    status, answer = call(gw, "GET", f"{BASE}/my-private-model")
    assert status == 404 and "no model" in answer["error"]["message"]
