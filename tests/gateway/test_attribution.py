"""Caller-chosen values (user, session, tags, metadata, model) are cleaned and bounded at the edge.

One rule set, `rungway.domain.bounds`, on SQLite and PostgreSQL: a value PostgreSQL would refuse
(too long for its column, a NUL, an undecodable header byte) never reaches the batch writer, so
the call and every later one are recorded and traced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from rungway.domain.bounds import CLEANED_TAG, MAX_TAGS
from tests.api.http import call
from tests.gateway.test_raw_http import error_of, http
from tests.servers import Gateway

LONG = "é" * 1000


def _chat(gw: Gateway, secret: str, headers: dict[str, str] | None = None, **fields: Any) -> tuple[int, str, bytes]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], **fields}
    status, answer_headers, raw = http(
        gw.openai_base + "/chat/completions",
        json.dumps(body).encode(),
        {"Authorization": f"Bearer {secret}", "Content-Type": "application/json", **(headers or {})},
    )
    return status, answer_headers.get("x-request-id", ""), raw


def _row(gw: Gateway, request_id: str) -> dict[str, Any]:
    gw.flush()
    status, page = call(gw, "GET", "/api/logs?limit=1000")
    assert status == 200
    return next(row for row in page["data"] if row["id"] == request_id)


def test_hostile_attribution_is_cleaned_cut_and_recorded_on_both_stores(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    key = gw.create_key()
    metadata = {f"k{i}\x00{'K' * 100}": f"v\x01{LONG}" for i in range(MAX_TAGS + 8)}
    status, request_id, _ = _chat(
        gw,
        key.secret,
        headers={"x-rungway-session-id": "s" * 1000, "x-rungway-tags": "team=a\tb," + "t" * 500 + "=x"},
        user="ana\x00" + LONG,
        metadata=metadata,
    )
    assert status == 200
    row = _row(gw, request_id)
    assert row["user"] == ("ana" + LONG)[:256]
    tags: dict[str, str] = row["tags"]
    assert tags[CLEANED_TAG] == "session,tags,user"
    assert len(tags) == MAX_TAGS + 1  # the cut-off tags, plus the one saying so
    assert tags["team"] == "ab"
    for name, value in tags.items():
        assert len(name) <= 64 and len(value) <= 256 and "\x00" not in name + value and "\x01" not in value
    with gw.state.engine.connect() as conn:  # closed here: an open one would block the schema's teardown
        trace = conn.execute(sa.text("SELECT session_id FROM spans WHERE trace_id = :t"), {"t": row["trace_id"]})
        sessions = [r[0] for r in trace]
    assert sessions == ["s" * 256]


def test_an_undecodable_header_byte_is_dropped_not_stored(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    key = gw.create_key()
    # urllib sends header values as latin-1: b"caf\xe9" is not UTF-8, the server sees a surrogate escape.
    status, request_id, _ = _chat(gw, key.secret, headers={"x-rungway-user": "café"})
    assert status == 200
    row = _row(gw, request_id)
    assert row["user"] == "caf" and row["tags"][CLEANED_TAG] == "user"
    status, later, _ = _chat(gw, key.secret, user="bea")
    assert status == 200 and _row(gw, later)["user"] == "bea"  # the log kept flowing


def test_a_model_name_beyond_its_column_or_with_nul_is_refused_and_recorded(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    key = gw.create_key()
    for model in ("m" * 129, "gpt-4o-mini\x00"):
        status, request_id, raw = _chat(gw, key.secret, model=model)
        assert status == 400 and error_of(raw)["param"] == "model"
        assert _row(gw, request_id)["status"] == 400
    status, request_id, _ = _chat(gw, key.secret, model="m" * 128)
    assert status == 404  # within the bound: an unknown model, recorded under its name
    assert _row(gw, request_id)["model_requested"] == "m" * 128
