"""The management API client every server-talking command uses: answers, error mapping, connection errors."""

from __future__ import annotations

import pytest
from aiohttp import web

from rungway.cli.api_client import ApiClient, answer_error, connect
from rungway.errors import ConfigError, Conflict, InvalidRequest, NotFound, RungwayError
from tests.servers import AppServer


def test_an_error_answer_becomes_the_matching_error_with_its_code_and_param() -> None:
    raw = b'{"error": {"message": "bad alias", "type": "invalid_request_error", "code": "bad", "param": "alias"}}'
    error = answer_error(400, raw)
    assert isinstance(error, InvalidRequest) and error.message == "bad alias"
    assert (error.code, error.param) == ("bad", "alias")
    assert isinstance(answer_error(404, b"{}"), NotFound) and isinstance(answer_error(409, b"not json"), Conflict)
    other = answer_error(502, b"")
    assert type(other) is RungwayError and "HTTP 502" in other.message


def test_connect_names_the_fix_for_a_missing_key_and_a_bad_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RUNGWAY_API_KEY", "RUNGWAY_ADMIN_KEY", "RUNGWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="Fix: pass --key"):
        connect(None, None)
    with pytest.raises(ConfigError, match="is not a URL"):
        connect("localhost:4000", "k")
    assert connect(None, "k") == ApiClient("http://127.0.0.1:4000", "k")


def test_requests_carry_the_key_and_the_query_and_answers_are_json_or_text() -> None:
    seen: list[tuple[str, str, str | None]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, request.headers.get("Authorization")))
        if request.path == "/report":
            return web.Response(text="# report")
        if request.path == "/missing":
            return web.json_response({"error": {"message": "no such run", "code": "not_found"}}, status=404)
        body = await request.json() if request.can_read_body else None
        return web.json_response({"got": body})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    server = AppServer(app)
    try:
        client = ApiClient(server.base_url, "secret")
        assert client.get("/x", {"workload": "w", "limit": 5, "skip": None}) == {"got": None}
        assert client.post("/x", {"a": 1}) == {"got": {"a": 1}}
        assert client.put("/x", {"b": 2}) == {"got": {"b": 2}}
        assert client.text("/report") == "# report"
        with pytest.raises(NotFound, match="no such run"):
            client.get("/missing")
        assert seen[0] == ("GET", "/x?workload=w&limit=5", "Bearer secret")
        assert [m for m, _, _ in seen] == ["GET", "POST", "PUT", "GET", "GET"]
    finally:
        server.stop()
    with pytest.raises(ConfigError, match="cannot reach the Rungway server"):
        ApiClient(server.base_url, "secret").get("/x")
