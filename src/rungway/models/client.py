"""The `/api/models` client of `rungway models`: HTTP to a running server, errors as Rungway's own.

`rungway models ...` talks to the server rather than the store, so a change made from the command
line meets the same rules as one made through the API or the dashboard (roles, workload scope,
upgrade gate) and is recorded under the caller's key. The server's answer for a mistake (400 naming
the field, 403, 404, 409) becomes the same error class here, so the CLI prints it as one line.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rungway.errors import (
    AuthenticationFailed,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RungwayError,
)

__all__ = ["DEFAULT_SERVER", "ModelsClient"]

DEFAULT_SERVER = "http://127.0.0.1:4000"
_ERRORS: dict[int, type[RungwayError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}
_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class ModelsClient:
    """A management API caller: the server's base URL and the key it sends."""

    server: str
    key: str

    def get(self, path: str, query: Mapping[str, str | int | None] | None = None) -> Any:
        return self._send("GET", path, query, None)

    def post(self, path: str, body: Mapping[str, Any], query: Mapping[str, str | int | None] | None = None) -> Any:
        return self._send("POST", path, query, body)

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._send("PUT", path, None, body)

    def text(self, path: str, query: Mapping[str, str | int | None] | None = None) -> str:
        """A GET whose answer is text (a Markdown report)."""
        request = urllib.request.Request(self._url(path, query), headers={"Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                return str(response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                raise _error(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            raise _unreachable(self.server, error) from None

    def _url(self, path: str, query: Mapping[str, str | int | None] | None) -> str:
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        suffix = f"?{urllib.parse.urlencode(pairs)}" if pairs else ""
        return self.server.rstrip("/") + path + suffix

    def _send(self, method: str, path: str, query: Mapping[str, str | int | None] | None, body: Any) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self._url(path, query),
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                raise _error(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            raise _unreachable(self.server, error) from None


def _unreachable(server: str, error: OSError) -> ConfigError:
    reason = getattr(error, "reason", error)
    return ConfigError(
        f"cannot reach the Rungway server at {server}: {reason}. Fix: start it (`rungway serve`) or "
        "point --server (or RUNGWAY_URL) at it"
    )


def _error(status: int, raw: bytes) -> RungwayError:
    """The server's error answer as the matching error: its message, code and param kept."""
    try:
        detail = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        detail = {}
    message = str(detail.get("message") or f"the server answered HTTP {status}")
    kind = _ERRORS.get(status)
    if kind is None:
        return RungwayError(f"the server answered HTTP {status}: {message}")
    return kind(message, code=detail.get("code"), param=detail.get("param"))
