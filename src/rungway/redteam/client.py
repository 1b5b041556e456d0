"""HTTP to a running Rungway: the gateway's chat completions (attacks) and `/api/redteam` (results).

`GatewayChat` posts chat completion bodies with the workload's key over one aiohttp session, retrying a 429
or 5xx twice with a short backoff; any other answer is the attack's error (`ChatFailed`, the gateway's own
message). `ApiClient` is the management API caller the CLI uses: the server's error answer becomes the matching
Rungway error, printed as one line.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from rungway.errors import (
    AuthenticationFailed,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RungwayError,
)
from rungway.redteam.runner import ChatFailed

__all__ = ["ApiClient", "GatewayChat"]

_ERRORS: dict[int, type[RungwayError]] = {400: InvalidRequest, 401: AuthenticationFailed, 403: PermissionDenied,
                                          404: NotFound, 409: Conflict}  # fmt: skip
_MAX_ANSWER = 1_048_576


def _message(raw: bytes, status: int) -> tuple[str, dict[str, Any]]:
    try:
        detail = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        detail = {}
    return str(detail.get("message") or f"HTTP {status}")[:500], detail


class GatewayChat:
    """Chat completions against one gateway with one key (use as an async context manager)."""

    def __init__(self, base_url: str, key: str, timeout_s: float = 120.0, retries: int = 2) -> None:
        self.url = base_url.rstrip("/") + "/v1/chat/completions"
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.retries = retries
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> GatewayChat:
        self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def __call__(self, body: dict[str, Any]) -> str:
        assert self._session is not None, "use GatewayChat as `async with`"
        for attempt in range(self.retries + 1):
            try:
                async with self._session.post(self.url, json=body, headers=self.headers) as response:
                    raw = await response.content.read(_MAX_ANSWER)
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt < self.retries:
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                raise ChatFailed(f"gateway unreachable: {type(exc).__name__}") from None
            if status == 200:
                try:
                    return str(json.loads(raw)["choices"][0]["message"].get("content") or "")
                except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                    raise ChatFailed("the gateway's answer is not a chat completion") from None
            if (status == 429 or status >= 500) and attempt < self.retries:
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            raise ChatFailed(f"gateway answered {status}: {_message(raw, status)[0]}")
        raise ChatFailed("gateway gave no answer")  # unreachable: the loop returns or raises


@dataclass(frozen=True, slots=True)
class ApiClient:
    """A management API caller: the server's base URL and the key it sends."""

    server: str
    key: str

    def get(self, path: str, query: Mapping[str, str | int | None] | None = None) -> Any:
        return self._send("GET", path, query, None)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._send("POST", path, None, body)

    def _send(self, method: str, path: str, query: Mapping[str, str | int | None] | None, body: Any) -> Any:
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        url = self.server.rstrip("/") + path + (f"?{urllib.parse.urlencode(pairs)}" if pairs else "")
        request = urllib.request.Request(
            url, data=json.dumps(body).encode() if body is not None else None, method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60.0) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                message, detail = _message(error.read(), error.code)
            kind = _ERRORS.get(error.code)
            if kind is None:
                raise RungwayError(f"the server answered HTTP {error.code}: {message}") from None
            raise kind(message, code=detail.get("code"), param=detail.get("param")) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ConfigError(f"cannot reach the Rungway server at {self.server}: {reason}. Fix: start it "
                              "(`rungway serve`) or point --server (or RUNGWAY_URL) at it") from None  # fmt: skip
