"""The dialect door: a capability's API shape served over the chat pipeline, every step included.

A toy dialect (`/v1/echo`: `{"model", "say", "stream"}` in, `{"said"}` out, `event: piece` events when
streamed, `{"oops"}` errors) is installed beside the built-in capabilities; the tests show its calls
authenticated, limited, routed, answered in its shape, metered and recorded like chat completions.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from sqlalchemy import select

from rungway.capability import Capability, Installed, load_capabilities
from rungway.domain.usage import Usage
from rungway.errors import InvalidRequest, RungwayError
from rungway.gateway.context import CallContext
from rungway.gateway.dialect import StreamTranslation
from rungway.store.schema import requests
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway, write_config


class _EchoStream:
    def __init__(self) -> None:
        self.pieces = 0

    def chunk(self, data: dict[str, Any]) -> Sequence[bytes]:
        out = []
        for choice in data.get("choices") or ():
            text = (choice.get("delta") or {}).get("content")
            if text:
                self.pieces += 1
                out.append(b"event: piece\ndata: " + orjson.dumps({"text": text}) + b"\n\n")
        return out

    def end(self, usage: Usage | None) -> Sequence[bytes]:
        tokens = usage.output if usage is not None else None
        return [b"event: done\ndata: " + orjson.dumps({"pieces": self.pieces, "output_tokens": tokens}) + b"\n\n"]

    def error(self, error: RungwayError) -> bytes:
        return b"event: oops\ndata: " + orjson.dumps({"oops": error.message}) + b"\n\n"


class EchoDialect:
    name = "echo"
    paths = ("/v1/echo",)

    async def to_chat(self, ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
        say = body.get("say")
        if not isinstance(say, str) or not say:
            raise InvalidRequest("'say' must be a non-empty string", param="say")
        return {
            "model": body.get("model"),
            "messages": [{"role": "user", "content": say}],
            "stream": bool(body.get("stream", False)),
        }

    def from_chat(self, ctx: CallContext, completion: dict[str, Any]) -> bytes:
        return orjson.dumps({"said": completion["choices"][0]["message"]["content"]})

    def open_stream(self, ctx: CallContext) -> StreamTranslation:
        return _EchoStream()

    def error_response(self, error: RungwayError) -> web.Response:
        return web.json_response({"oops": error.message, "kind": error.error_type}, status=error.status)


class Answer:
    """An HTTP answer: status, headers, text."""

    def __init__(self, status: int, headers: dict[str, str], text: str) -> None:
        self.status_code, self.headers, self.text = status, headers, text

    def json(self) -> Any:
        return json.loads(self.text)


def post(url: str, body: object, key: str | None = None) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())


ECHO = Capability("echo", lambda host: Installed(dialects=(EchoDialect(),)))


@pytest.fixture
def echo_gateway(tmp_path: Path) -> Any:
    config = write_config(tmp_path, SIMULATOR_CONFIG.replace("{store_url}", f"sqlite:///{tmp_path}/rw.db"))
    gateway = Gateway(config, (*load_capabilities(), ECHO))
    try:
        yield gateway
    finally:
        gateway.stop()


def test_a_dialect_call_is_answered_in_its_shape_and_recorded_like_a_chat_call(echo_gateway: Gateway) -> None:
    key = echo_gateway.create_key().secret
    answer = post(f"{echo_gateway.base_url}/v1/echo", {"model": "gpt-4o-mini", "say": "hello there"}, key)
    assert answer.status_code == 200, answer.text
    said = answer.json()["said"]
    assert isinstance(said, str) and said
    assert answer.headers["x-request-id"].startswith("req_")
    echo_gateway.flush()
    with echo_gateway.state.engine.connect() as conn:
        row = conn.execute(
            select(requests.c.endpoint, requests.c.status, requests.c.tokens_in, requests.c.tokens_out, requests.c.id)
        ).one()
    assert (row.endpoint, row.status) == ("echo", 200) and row.tokens_in > 0 and row.tokens_out > 0
    assert row.id == answer.headers["x-request-id"]


def test_a_streamed_dialect_call_is_written_as_its_own_events(echo_gateway: Gateway) -> None:
    key = echo_gateway.create_key().secret
    body = post(
        f"{echo_gateway.base_url}/v1/echo", {"model": "gpt-4o-mini", "say": "tell me a story", "stream": True}, key
    ).text
    events = [block for block in body.split("\n\n") if block]
    assert events and all(e.startswith("event: ") for e in events), body
    assert "[DONE]" not in body
    pieces = [json.loads(e.split("data: ", 1)[1]) for e in events if e.startswith("event: piece")]
    done = json.loads(events[-1].split("data: ", 1)[1])
    assert events[-1].startswith("event: done") and done["pieces"] == len(pieces) > 0
    assert done["output_tokens"] and done["output_tokens"] > 0
    echo_gateway.flush()
    with echo_gateway.state.engine.connect() as conn:
        row = conn.execute(select(requests.c.endpoint, requests.c.stream, requests.c.ttft_ms)).one()
    assert row.endpoint == "echo" and row.stream and row.ttft_ms is not None


def test_a_dialect_refuses_in_its_own_error_shape(echo_gateway: Gateway) -> None:
    url = f"{echo_gateway.base_url}/v1/echo"
    unauthenticated = post(url, {"model": "gpt-4o-mini", "say": "hi"})
    assert unauthenticated.status_code == 401 and "oops" in unauthenticated.json()
    key = echo_gateway.create_key().secret
    bad = post(url, {"model": "gpt-4o-mini", "say": 3}, key)
    assert bad.status_code == 400 and bad.json()["oops"] == "'say' must be a non-empty string"
    not_json = post(url, b"{", key)
    assert not_json.status_code == 400 and not_json.json()["kind"] == "invalid_request_error"
    unknown = post(url, {"model": "no-such-model", "say": "hi"}, key)
    assert unknown.status_code == 404 and "oops" in unknown.json()
