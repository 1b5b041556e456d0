"""The management API client every `rungway` command that talks to a server uses: HTTP, errors as Rungway's own.

Commands such as `rungway prompts`, `rungway models` or `rungway redteam` talk to the server rather than
the store, so a change made from a terminal meets the same rules as one made through the API or the
dashboard (roles, workload scope, review and upgrade policies) and is recorded under the caller's key.
The server's answer for a mistake (400 naming the field, 401, 403, 404, 409) becomes the same error class
here, so the CLI prints it as one line; an unreachable server is one line naming the fix.
"""

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

__all__ = ["DEFAULT_SERVER", "ApiClient", "Query", "connect", "server_options"]

DEFAULT_SERVER = "http://127.0.0.1:4000"
Query = Mapping[str, str | int | None]
_ERRORS: dict[int, type[RungwayError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}
_TIMEOUT_S = 60.0
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class ApiClient:
    """A management API caller: the server's base URL and the key it sends."""

    server: str
    key: str

    def get(self, path: str, query: Query | None = None) -> Any:
        return json.loads(self._send("GET", path, query, None) or b"null")

    def post(self, path: str, body: Mapping[str, Any], query: Query | None = None) -> Any:
        return json.loads(self._send("POST", path, query, body) or b"null")

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        return json.loads(self._send("PUT", path, None, body) or b"null")

    def delete(self, path: str, query: Query | None = None) -> Any:
        return json.loads(self._send("DELETE", path, query, None) or b"null")

    def text(self, path: str, query: Query | None = None) -> str:
        """A GET whose answer is text (a Markdown report)."""
        return self._send("GET", path, query, None).decode()

    def url(self, path: str, query: Query | None = None) -> str:
        pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
        suffix = f"?{urllib.parse.urlencode(pairs)}" if pairs else ""
        return self.server.rstrip("/") + path + suffix

    def _send(self, method: str, path: str, query: Query | None, body: Any) -> bytes:
        request = urllib.request.Request(
            self.url(path, query),
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            with error:
                raise answer_error(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ConfigError(
                f"cannot reach the Rungway server at {self.server}: {reason}. Fix: start it (`rungway serve`) or "
                "point --server (or RUNGWAY_URL) at it"
            ) from None


def answer_error(status: int, raw: bytes) -> RungwayError:
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


def connect(server: str | None, key: str | None) -> ApiClient:
    """A client for the server and key given, or those of the environment ($RUNGWAY_URL, $RUNGWAY_API_KEY,
    else $RUNGWAY_ADMIN_KEY)."""
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise ConfigError("no API key to act with. Fix: pass --key, or set RUNGWAY_API_KEY (or RUNGWAY_ADMIN_KEY)")
    url = server or env.server_url or DEFAULT_SERVER
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--server {url!r} is not a URL. Fix: write e.g. {DEFAULT_SERVER}")
    return ApiClient(url, secret)


def server_options(f: F) -> F:
    """`--server URL` and `--key KEY`."""
    f = click.option(
        "--key", "key", metavar="KEY", help="API key (default: $RUNGWAY_API_KEY, else $RUNGWAY_ADMIN_KEY)"
    )(f)
    return click.option(
        "--server", "server", metavar="URL", help=f"the server (default: $RUNGWAY_URL, else {DEFAULT_SERVER})"
    )(f)
