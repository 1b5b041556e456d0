"""The catalogue at the gateway, through the official openai SDK: a deprecated model's answers carry
`Deprecation`, `Sunset` and the successor `Link` (JSON and streaming alike), a blocked model is refused
with 403 `model_blocked` naming the successor, a model outside the catalogue gets no header, and an
admin's block or unblock through the API takes effect on this server at once."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.api.http import call
from tests.models.catalogue.support import CATALOGUE_CONFIG
from tests.servers import Gateway

MESSAGES = [{"role": "user", "content": "hi"}]
DEPRECATED = {
    "deprecation": "@1790812800",  # 2026-10-01T00:00:00Z
    "sunset": "Thu, 14 Jan 2027 00:00:00 GMT",
    "link": '</v1/models/new-model-2026-01-01>; rel="successor-version"',
}


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CATALOGUE_CONFIG, store_url=store_url)


def _lifecycle_headers(headers: object) -> dict[str, str]:
    return {name: headers.get(name) for name in DEPRECATED if headers.get(name) is not None}  # type: ignore[attr-defined]


def test_deprecated_model_answers_carry_the_headers_json_and_streaming(gw: Gateway) -> None:
    client = gw.sdk()
    raw = client.chat.completions.with_raw_response.create(model="old-model", messages=MESSAGES)  # type: ignore[arg-type]
    assert raw.http_response.status_code == 200
    assert _lifecycle_headers(raw.headers) == DEPRECATED
    assert raw.parse().choices[0].message.content
    with client.chat.completions.with_streaming_response.create(
        model="old-model",
        messages=MESSAGES,  # type: ignore[arg-type]
        stream=True,
    ) as stream:
        assert _lifecycle_headers(stream.headers) == DEPRECATED
        assert sum(1 for _ in stream.iter_lines()) > 0


def test_models_in_good_standing_or_outside_the_catalogue_get_no_lifecycle_header(gw: Gateway) -> None:
    client = gw.sdk()
    for model in ("new-model", "private-model"):
        raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES)  # type: ignore[arg-type]
        assert _lifecycle_headers(raw.headers) == {}, model


def test_a_blocked_model_is_refused_naming_its_successor(gw: Gateway) -> None:
    with pytest.raises(openai.PermissionDeniedError) as err:
        gw.sdk().chat.completions.create(model="banned-model", messages=MESSAGES)  # type: ignore[arg-type]
    assert err.value.status_code == 403
    body = err.value.body
    assert isinstance(body, dict) and body["code"] == "model_blocked" and body["type"] == "permission_error"
    assert "new-model-2026-01-01" in body["message"]


def test_an_admin_block_and_unblock_take_effect_at_once(gw: Gateway) -> None:
    client = gw.sdk()
    status, change = call(
        gw,
        "POST",
        "/api/models/catalogue/new-model-2026-01-01/block",
        body={"comment": "leaks data", "successor": None},
    )
    assert status == 200 and change["status"] == "blocked", change
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="new-model", messages=MESSAGES)  # type: ignore[arg-type]
    status, change = call(gw, "POST", "/api/models/catalogue/new-model-2026-01-01/unblock", body={})
    assert status == 200 and change["status"] == "approved"
    assert client.chat.completions.create(model="new-model", messages=MESSAGES).choices  # type: ignore[arg-type]
