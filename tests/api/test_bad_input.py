"""Bad input on every /api and /v1 route gets a 400 in the OpenAI error shape, never a 500.

Routes and their parameters come from /api/openapi.json, so a route added later is covered too.
"""

from __future__ import annotations

import gzip
import json
import urllib.parse
from typing import Any

import pytest

from tests.api.http import ADMIN
from tests.gateway.test_raw_http import error_of, http
from tests.servers import Gateway

# Values each kind of query parameter must refuse.
BAD_QUERY_VALUES: dict[str, list[str]] = {
    "integer": ["-1", "1e30", "abc", "99999999999999999999999", "nan"],
    "number": ["inf", "-inf", "nan", "1e400", "abc", "-1"],
    "time": ["bogus", "1e400", "nan", "inf", "99999999999999999999", "-5"],
    "enum": ["bogus", "JSON"],
    "boolean": ["maybe"],
    "text": ["a\x00b", "x" * 5000],
}
# Bodies no route accepts: (raw bytes, extra headers).
BAD_BODIES: list[tuple[bytes, dict[str, str]]] = [
    (b"{not json", {}),
    (b"[1, 2]", {}),
    (b'"a string"', {}),
    (b"12", {}),
    (b'{"a": 1}', {"Content-Encoding": "gzip"}),  # says gzip, is not
    (gzip.compress(b'{"a": 1}'), {"Content-Encoding": "compress"}),  # an encoding we do not read
    (b'{"a": 1}', {"Content-Encoding": "bogus"}),
    (b'{"a": 1}', {"Content-Encoding": "br"}),  # refused while the request head is parsed
    (b'{"a": 1}', {"Content-Encoding": "zstd"}),
]


def _openapi(gw: Gateway) -> dict[str, Any]:
    status, _, raw = http(gw.base_url + "/api/openapi.json")
    assert status == 200
    return dict(json.loads(raw))


def _operations(gw: Gateway) -> list[tuple[str, str, dict[str, Any]]]:
    doc = _openapi(gw)
    return [(method.upper(), path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def _kind(schema: dict[str, Any]) -> str:
    if "enum" in schema and schema["enum"][0] == "true":
        return "boolean"
    if "enum" in schema:
        return "enum"
    if schema.get("type") in ("integer", "number"):
        return str(schema["type"])
    if "pattern" in schema and schema.get("maxLength") == 64 and "smhdw" in schema["pattern"]:
        return "time"
    return "text"


def _fill(path: str) -> str:
    return path.replace("{", "x-").replace("}", "")


def _assert_400(status: int, body: bytes, what: str) -> None:
    assert status == 400, (what, status, body[:300])
    error = error_of(body)
    assert error["type"] == "invalid_request_error", what
    assert set(json.loads(body)["error"]) == {"message", "type", "param", "code"}


def test_every_query_parameter_refuses_out_of_range_values_with_a_400(gateway: Gateway) -> None:
    checked = 0
    for method, path, op in _operations(gateway):
        for param in op.get("parameters", []):
            if param["in"] != "query":
                continue
            for value in BAD_QUERY_VALUES[_kind(param["schema"])]:
                query = urllib.parse.urlencode({param["name"]: value})
                status, _, body = http(
                    f"{gateway.base_url}{_fill(path)}?{query}",
                    b"{}" if method != "GET" else None,
                    {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
                    method=method,
                )
                _assert_400(status, body, f"{method} {path}?{param['name']}={value[:20]!r}")
                assert error_of(body)["param"] == param["name"]
                checked += 1
    assert checked > 60  # the walk really went through the document


def test_every_route_with_a_body_refuses_non_json_wrong_types_and_bad_encodings(gateway: Gateway) -> None:
    with_body = [(m, p, op) for m, p, op in _operations(gateway) if "requestBody" in op]
    assert len(with_body) >= 7
    for method, path, op in with_body:
        for raw, headers in BAD_BODIES:
            status, _, body = http(
                gateway.base_url + _fill(path),
                raw,
                {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json", **headers},
                method=method,
            )
            _assert_400(status, body, f"{method} {path} {raw[:20]!r} {headers}")
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        for field, field_schema in schema.get("properties", {}).items():
            wrong: Any = {"nested": "object"} if "object" not in str(field_schema.get("type")) else "a string"
            if field_schema == {}:
                continue
            status, _, body = http(
                gateway.base_url + _fill(path),
                json.dumps({field: wrong}).encode(),
                {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
                method=method,
            )
            _assert_400(status, body, f"{method} {path} {field}={wrong!r}")


def test_path_parameters_with_control_characters_get_a_400(gateway: Gateway) -> None:
    for method, path, _op in _operations(gateway):
        if "{" not in path:
            continue
        url = gateway.base_url + path.replace("{", "%00").replace("}", "")
        status, _, body = http(url, b"{}" if method != "GET" else None, {"Authorization": f"Bearer {ADMIN}"}, method)
        _assert_400(status, body, f"{method} {path}")


@pytest.mark.parametrize(
    ("path", "payload", "param"),
    [
        ("/chat/completions", {"stream_options": "yes"}, "stream_options"),
        ("/chat/completions", {"stream": True, "stream_options": {"include_usage": "yes"}}, None),
        ("/chat/completions", {"user": {"id": 1}}, "user"),
        ("/chat/completions", {"metadata": ["a"]}, "metadata"),
        ("/chat/completions", {"metadata": {"k": {"nested": 1}}}, None),
        ("/chat/completions", {"store": "yes"}, "store"),
        ("/chat/completions", {"n": 10**30}, "n"),
        ("/chat/completions", {"max_tokens": -1}, "max_tokens"),
        ("/chat/completions", {"max_completion_tokens": 2**40}, "max_completion_tokens"),
        ("/chat/completions", {"tools": {"a": 1}}, "tools"),
        ("/chat/completions", {"messages": [{"role": "user", "content": {"text": "x"}}]}, "messages[0].content"),
        ("/chat/completions", {"messages": [{"role": "user", "content": ["x"]}]}, "messages[0].content"),
        ("/chat/completions", {"messages": [{"role": "assistant", "tool_calls": 5}]}, "messages[0].tool_calls"),
        ("/chat/completions", {"model": "m" * 129}, "model"),
        ("/chat/completions", {"model": "gpt-4o-mini\x00"}, "model"),
        ("/chat/completions", {"model": {"name": "gpt-4o-mini"}}, "model"),
        ("/embeddings", {"dimensions": "many"}, "dimensions"),
        ("/embeddings", {"encoding_format": "hex"}, "encoding_format"),
        ("/embeddings", {"user": ["a"]}, "user"),
    ],
)
def test_typed_openai_fields_are_checked_before_forwarding(
    gateway: Gateway, path: str, payload: dict[str, Any], param: str | None
) -> None:
    base: dict[str, Any] = (
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
        if path == "/chat/completions"
        else {"model": "text-embedding-3-small", "input": "x"}
    )
    key = gateway.create_key()
    status, _, body = http(
        gateway.openai_base + path,
        json.dumps({**base, **payload}).encode(),
        {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json"},
    )
    _assert_400(status, body, str(payload))
    if param is not None:
        assert error_of(body)["param"] == param


@pytest.mark.parametrize(("raw", "headers"), BAD_BODIES)
@pytest.mark.parametrize("path", ["/chat/completions", "/embeddings"])
def test_v1_routes_refuse_bad_bodies_and_encodings_with_a_400(
    gateway: Gateway, path: str, raw: bytes, headers: dict[str, str]
) -> None:
    key = gateway.create_key()
    status, _, body = http(
        gateway.openai_base + path,
        raw,
        {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json", **headers},
    )
    _assert_400(status, body, f"{path} {raw[:20]!r} {headers}")


def test_a_gzip_body_is_read(gateway: Gateway) -> None:
    key = gateway.create_key()
    payload = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}).encode()
    status, _, _ = http(
        gateway.openai_base + "/chat/completions",
        gzip.compress(payload),
        {"Authorization": f"Bearer {key.secret}", "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert status == 200
