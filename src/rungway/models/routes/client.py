"""The management API client `rungway models routes` uses: HTTP to a running server, errors as Rungway's own.

The routes live in the server's configuration, so the CLI asks the server (the key's workload
scope applies) rather than reading a file that may differ from what the server loaded.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rungway.errors import AuthenticationFailed, ConfigError, InvalidRequest, NotFound, PermissionDenied, RungwayError
from rungway.settings.env import read_environment

__all__ = ["DEFAULT_SERVER", "RoutesClient", "connect"]

DEFAULT_SERVER = "http://127.0.0.1:4000"
_ERRORS: dict[int, type[RungwayError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
}


@dataclass(frozen=True, slots=True)
class RoutesClient:
    """A management API caller: the server's base URL and the key it sends."""

    server: str
    key: str

    def send(self, method: str, path: str, query: Mapping[str, str | None] | None = None, body: Any = None) -> Any:
        pairs = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.server.rstrip("/") + path + (f"?{urllib.parse.urlencode(pairs)}" if pairs else "")
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                raw = error.read()
            try:
                detail = json.loads(raw).get("error") or {}
            except (ValueError, AttributeError):
                detail = {}
            message = str(detail.get("message") or f"the server answered HTTP {error.code}")
            kind = _ERRORS.get(error.code)
            if kind is None:
                raise RungwayError(f"the server answered HTTP {error.code}: {message}") from None
            raise kind(message, code=detail.get("code"), param=detail.get("param")) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ConfigError(
                f"cannot reach the Rungway server at {self.server}: {reason}. Fix: start it (`rungway serve`) or "
                "point --server (or RUNGWAY_URL) at it"
            ) from None


def connect(server: str | None, key: str | None) -> RoutesClient:
    """A client for the server and key given, or those of the environment."""
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise ConfigError("no API key to act with. Fix: pass --key, or set RUNGWAY_API_KEY (or RUNGWAY_ADMIN_KEY)")
    url = server or env.server_url or DEFAULT_SERVER
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--server {url!r} is not a URL. Fix: write e.g. {DEFAULT_SERVER}")
    return RoutesClient(url, secret)
