"""Raw HTTP to the management API, so tests see exactly the status and body a client sees."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.servers import Gateway

ADMIN = "admin-secret"  # server.admin_key in tests/conftest.py's SIMULATOR_CONFIG


def call(gw: Gateway, method: str, path: str, key: str | None = ADMIN, body: Any = None) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    req = urllib.request.Request(gw.base_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def chat(gw: Gateway, key: str, user: str | None = None, model: str = "gpt-4o-mini") -> int:
    """One chat completion through the gateway; its HTTP status."""
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    if user:
        body["user"] = user
    status, _ = call(gw, "POST", "/v1/chat/completions", key, body)
    return status
