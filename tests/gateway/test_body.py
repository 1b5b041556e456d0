"""Reading and checking the gateway's JSON bodies (`gateway/body.py`): every field the gateway reads is
checked before anything is counted, priced or forwarded, and bad input is a 400 (413 when too large)
in the OpenAI error shape, naming the field."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import SIMULATOR_CONFIG
from tests.gateway.test_raw_http import error_of, http
from tests.servers import Gateway

HELLO = [{"role": "user", "content": "x"}]


def post(gw: Gateway, path: str, payload: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
    key = gw.create_key()
    status, _, body = http(
        gw.openai_base + path, payload, {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json",
                                         **headers},
    )  # fmt: skip
    return status, json.loads(body)


@pytest.mark.parametrize(
    ("payload", "code", "fragment"),
    [
        (b"{not json", "invalid_json", "not valid JSON"),
        (b"[1, 2]", "invalid_json", "JSON object"),
        (b"", "invalid_json", "empty"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "missing_model", "'model'"),
        (b'{"model": "gpt-4o-mini", "messages": "hi"}', None, "'messages'"),
        (b'{"model": "gpt-4o-mini", "messages": [{"content": "x"}]}', None, "messages[0]"),
        (
            b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            None,
            "'stream'",
        ),
    ],
)
def test_malformed_chat_bodies_get_400_naming_the_problem(
    gateway: Gateway, payload: bytes, code: str | None, fragment: str
) -> None:
    key = gateway.create_key()
    status, _, body = http(
        gateway.openai_base + "/chat/completions",
        payload,
        {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json"},
    )
    assert status == 400
    error = error_of(body)
    assert error["type"] == "invalid_request_error"
    assert fragment in error["message"]
    if code:
        assert error["code"] == code


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        ({"n": 0}, "n", "'n' must be a whole number from 1 to 128; got 0."),
        ({"n": 129}, "n", "from 1 to 128"),
        ({"n": True}, "n", "got True"),
        ({"max_tokens": 0}, "max_tokens", "from 1 to 2147483647"),
        ({"max_tokens": 2**31}, "max_tokens", "from 1 to 2147483647"),
        ({"max_completion_tokens": 1.5}, "max_completion_tokens", "got 1.5"),
        ({"tools": {"type": "function"}}, "tools", "'tools' must be an array; got dict."),
        ({"store": "yes"}, "store", "'store' must be a boolean"),
        ({"user": 7}, "user", "'user' must be a string; got int."),
        ({"stream_options": True}, "stream_options", "'stream_options' must be an object"),
        ({"stream_options": {"include_usage": 1}}, "stream_options.include_usage", "must be a boolean"),
        ({"metadata": ["a"]}, "metadata", "'metadata' must be an object"),
        ({"metadata": {f"k{i}": "v" for i in range(65)}}, "metadata", "'metadata' has 65 pairs; at most 64."),
        ({"metadata": {"k": {"nested": 1}}}, "metadata.k", "metadata['k'] must be a string, number or boolean."),
        ({"messages": []}, "messages", "'messages' must be a non-empty array."),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "a string or an array of parts"),
        ({"messages": [{"role": "user", "content": ["x"]}]}, "messages[0].content", "parts must be objects"),
        ({"messages": [{"role": "assistant", "tool_calls": {}}]}, "messages[0].tool_calls", "must be an array"),
        ({"model": ""}, "model", "'model' is required"),
        ({"model": "m\u0000"}, "model", ""),
    ],
)
def test_each_chat_field_the_gateway_reads_is_checked_naming_it(
    gateway: Gateway, fields: dict[str, Any], param: str, fragment: str
) -> None:
    payload = json.dumps({"model": "gpt-4o-mini", "messages": HELLO, **fields}).encode()
    status, body = post(gateway, "/chat/completions", payload)
    assert status == 400, body
    assert body["error"]["param"] == param and fragment in body["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        ({"input": ""}, "input", "'input' must be a non-empty string or array."),
        ({"input": []}, "input", "non-empty"),
        ({"input": 5}, "input", "non-empty"),
        ({"dimensions": 0}, "dimensions", "from 1 to 65536"),
        ({"encoding_format": "hex"}, "encoding_format", "'encoding_format' must be float or base64; got 'hex'."),
    ],
)
def test_each_embeddings_field_the_gateway_reads_is_checked_naming_it(
    gateway: Gateway, fields: dict[str, Any], param: str, fragment: str
) -> None:
    payload = json.dumps({"model": "text-embedding-3-small", "input": "x", **fields}).encode()
    status, body = post(gateway, "/embeddings", payload)
    assert status == 400, body
    assert body["error"]["param"] == param and fragment in body["error"]["message"]


def test_fields_only_forwarded_are_left_to_the_upstream(gateway: Gateway) -> None:
    payload = json.dumps({"model": "gpt-4o-mini", "messages": HELLO, "temperature": 0.5, "seed": 3}).encode()
    assert post(gateway, "/chat/completions", payload)[0] == 200


@pytest.mark.parametrize(("encoding", "pack"), [("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_a_compressed_body_is_read(gateway: Gateway, encoding: str, pack: Callable[[bytes], bytes]) -> None:
    payload = pack(json.dumps({"model": "gpt-4o-mini", "messages": HELLO}).encode())
    status, body = post(gateway, "/chat/completions", payload, **{"Content-Encoding": encoding})
    assert status == 200, body


def test_an_unknown_or_broken_encoding_is_a_400_naming_it(gateway: Gateway) -> None:
    payload = json.dumps({"model": "gpt-4o-mini", "messages": HELLO}).encode()
    status, body = post(gateway, "/chat/completions", payload, **{"Content-Encoding": "compress"})
    assert status == 400 and body["error"]["code"] == "unsupported_content_encoding"
    status, body = post(gateway, "/chat/completions", payload, **{"Content-Encoding": "gzip"})  # not gzip
    assert status == 400 and body["error"]["code"] == "invalid_content_encoding"


def test_a_body_past_the_limit_is_a_413(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG.replace("server:\n", "server:\n  max_body_bytes: 2048\n"))
    payload = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 4096}]}).encode()
    status, body = post(gw, "/chat/completions", payload)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert "exceeds the limit of 2048" in body["error"]["message"]
