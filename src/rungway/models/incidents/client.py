"""The management API client the failover commands use (`rungway incidents`, `rungway drill`): HTTP to a
running server with the caller's key, so the server's scope and roles apply; its error answers become
Rungway's own errors, printed by the CLI as one line."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from rungway.errors import (
    AuthenticationFailed,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RungwayError,
)
from rungway.settings.env import read_environment

__all__ = ["DEFAULT_SERVER", "ApiClient", "connect", "server_options"]

DEFAULT_SERVER = "http://127.0.0.1:4000"
_ERRORS: dict[int, type[RungwayError]] = {
    400: InvalidRequest, 401: AuthenticationFailed, 403: PermissionDenied, 404: NotFound, 409: Conflict,
}  # fmt: skip
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class ApiClient:
    server: str
    key: str
    timeout_s: float = 60.0

    def get(self, path: str, query: Mapping[str, str | int | None] | None = None) -> Any:
        return self._send("GET", path, query, None)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._send("POST", path, None, body)

    def _send(self, method: str, path: str, query: Mapping[str, str | int | None] | None, body: Any) -> Any:
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        url = self.server.rstrip("/") + path + (f"?{urllib.parse.urlencode(pairs)}" if pairs else "")
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
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


def server_options(f: F) -> F:
    """`--server URL` and `--key KEY`."""
    f = click.option(
        "--key", "key", metavar="KEY", help="API key (default: $RUNGWAY_API_KEY, else $RUNGWAY_ADMIN_KEY)"
    )(f)
    return click.option(
        "--server", "server", metavar="URL", help=f"the server (default: $RUNGWAY_URL, else {DEFAULT_SERVER})"
    )(f)


def connect(server: str | None, key: str | None) -> ApiClient:
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise ConfigError("no API key to act with. Fix: pass --key, or set RUNGWAY_API_KEY (or RUNGWAY_ADMIN_KEY)")
    url = server or env.server_url or DEFAULT_SERVER
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--server {url!r} is not a URL. Fix: write e.g. {DEFAULT_SERVER}")
    return ApiClient(url, secret)
