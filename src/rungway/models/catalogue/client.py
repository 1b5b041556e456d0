"""The `/api/models/catalogue` client the CLI uses: HTTP to a running server, its errors as Rungway's own.

`rungway models catalogue ...` talks to the server, not the store, so a change made from a terminal
meets the API's rules (admin only, validated) and is recorded under the key that made it, and the
server that records it serves it at once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from rungway.errors import AuthenticationFailed, ConfigError, InvalidRequest, NotFound, PermissionDenied, RungwayError
from rungway.settings.env import read_environment

__all__ = ["DEFAULT_SERVER", "CatalogueClient", "connect"]

DEFAULT_SERVER = "http://127.0.0.1:4000"
_ERRORS: dict[int, type[RungwayError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
}
_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class CatalogueClient:
    """A management API caller: the server's base URL and the key it sends."""

    server: str
    key: str

    def get(self, path: str, query: dict[str, str | None] | None = None) -> Any:
        pairs = {k: v for k, v in (query or {}).items() if v is not None}
        suffix = f"?{urllib.parse.urlencode(pairs)}" if pairs else ""
        return self._send("GET", path + suffix, None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("POST", path, body)

    def _send(self, method: str, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.server.rstrip("/") + path,
            data=json.dumps(body).encode() if body is not None else None,
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
            reason = getattr(error, "reason", error)
            raise ConfigError(
                f"cannot reach the Rungway server at {self.server}: {reason}. Fix: start it (`rungway serve`) or "
                "point --server (or RUNGWAY_URL) at it"
            ) from None


def _error(status: int, raw: bytes) -> RungwayError:
    try:
        detail = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        detail = {}
    message = str(detail.get("message") or f"the server answered HTTP {status}")
    kind = _ERRORS.get(status)
    if kind is None:
        return RungwayError(f"the server answered HTTP {status}: {message}")
    return kind(message, code=detail.get("code"), param=detail.get("param"))


def connect(server: str | None, key: str | None) -> CatalogueClient:
    """A client for the server and key given, or those of the environment."""
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise ConfigError("no API key to act with. Fix: pass --key, or set RUNGWAY_API_KEY (or RUNGWAY_ADMIN_KEY)")
    url = server or env.server_url or DEFAULT_SERVER
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--server {url!r} is not a URL. Fix: write e.g. {DEFAULT_SERVER}")
    return CatalogueClient(url, secret)
