"""Registry prompts in an application: fetch a version once, render it locally, keep working when Rungway is down.

    import rungway.sdk as rw
    from rungway.sdk import prompts

    rw.configure("http://127.0.0.1:4000", api_key="rw-...")
    answer = prompts.get("support-answer", label="production")
    client.chat.completions.create(
        model=answer.model or "gpt-4o-mini",
        messages=answer.render(question="Where is my order?"),
        **answer.parameters,
    )

`get` reads `GET /api/prompts/{name}` with the configured gateway and key and caches the version
in this process for `ttl_s` (default 60 s): within it, a `get` makes no request. After it, the
version is fetched again; when the server cannot be reached or answers 5xx, the last good copy is
served (with one warning until the server answers again; the server is asked again a TTL later), so
a gateway restart does not stop an application that already used the prompt. Anything else (a
prompt or label that does not exist, a key that may not read it) raises `PromptFetchError` at once,
never a stale copy.

Rendering uses the library's own renderer (`rungway.prompts.public`, pure: no I/O, no code), so a
version renders here exactly as it does in the gateway. Without `label` or `version`, `get` asks
for the `production` label, as the gateway does for a `"prompt"` reference without one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rungway.prompts.public import JsonValue, PromptContent, render
from rungway.sdk.tracing import gateway

__all__ = ["DEFAULT_TTL_S", "PromptFetchError", "PromptHandle", "PromptLibrary", "configure", "get"]

DEFAULT_TTL_S = 60.0
DEFAULT_LABEL = "production"
log = logging.getLogger("rungway.sdk.prompts")


class PromptFetchError(RuntimeError):
    """The server answered that this prompt cannot be had (not found, forbidden, a bad request), or it was
    unreachable and there is no earlier copy to fall back on. `status` is the HTTP status (None: unreachable)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PromptHandle:
    """One prompt version as the registry served it: render it with variables into OpenAI messages."""

    name: str
    version: int
    content: PromptContent
    workload: str | None = None
    labels: tuple[str, ...] = ()
    hash: str = ""

    @property
    def ref(self) -> str:
        """`name@version`, as the request log and the gateway's errors name it."""
        return f"{self.name}@{self.version}"

    @property
    def model(self) -> str | None:
        """The model the version was written for (None: the application chooses)."""
        return self.content.model

    @property
    def parameters(self) -> dict[str, JsonValue]:
        """The request parameters the version was written for, as chat completion fields (a fresh dict)."""
        return self.content.parameters.to_json()

    def render(self, **variables: object) -> list[dict[str, str]]:
        """The version's messages with `variables` substituted (`PromptVariableError` names a missing one)."""
        return render(self.content, variables, ref=self.ref).messages

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PromptHandle:
        """A version as `GET /api/prompts/{name}` answers it."""
        return cls(
            name=str(raw["name"]),
            version=int(raw["version"]),
            content=PromptContent.from_json(raw["content"], where="content"),
            workload=raw.get("workload") or None,
            labels=tuple(str(label) for label in raw.get("labels") or ()),
            hash=str(raw.get("hash") or ""),
        )


@dataclass
class _Cached:
    handle: PromptHandle
    fetched_at: float
    retry_at: float = 0.0  # after a failed fetch, the copy is served without asking again until then
    warned: bool = False  # the outage that is serving this copy has been logged


@dataclass
class PromptLibrary:
    """Prompts from one server with one key, cached for `ttl_s` seconds; the module's `get` uses one of these."""

    base_url: str
    api_key: str
    ttl_s: float = DEFAULT_TTL_S
    timeout_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _cache: dict[tuple[str, str | None, int | None, str | None], _Cached] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(
        self, name: str, *, label: str | None = None, version: int | str | None = None, workload: str | None = None
    ) -> PromptHandle:
        if label is not None and version is not None:
            raise ValueError("give a label or a version, not both")
        if label is None and version is None:
            label = DEFAULT_LABEL
        number = int(version) if version is not None else None
        key = (name, label, number, workload)
        with self._lock:
            cached = self._cache.get(key)
        now = self.clock()
        if cached is not None and (now - cached.fetched_at < self.ttl_s or now < cached.retry_at):
            return cached.handle
        try:
            handle = PromptHandle.from_json(self._fetch(name, label, number, workload))
        except PromptFetchError as error:
            if cached is None or (error.status is not None and error.status < 500):
                raise
            # An unreachable server may take the whole timeout to say so: ask again a TTL later, not per call.
            cached.retry_at = self.clock() + self.ttl_s
            if not cached.warned:
                cached.warned = True
                log.warning(
                    "rungway: %s; serving the last good copy of %s fetched %.0f s ago",
                    error,
                    cached.handle.ref,
                    self.clock() - cached.fetched_at,
                )
            return cached.handle
        with self._lock:
            self._cache[key] = _Cached(handle, self.clock())
        return handle

    def clear(self) -> None:
        """Forget every cached version (the next `get` of each asks the server)."""
        with self._lock:
            self._cache.clear()

    def _fetch(self, name: str, label: str | None, version: int | None, workload: str | None) -> dict[str, Any]:
        query = {"label": label, "version": None if version is None else str(version), "workload": workload}
        path = f"/api/prompts/{urllib.parse.quote(name, safe='')}"
        url = f"{self.base_url}{path}?{urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.api_key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                body: dict[str, Any] = json.loads(answer.read())
                return body
        except urllib.error.HTTPError as exc:
            with exc:
                message = _error_message(exc.read()) or exc.reason
            raise PromptFetchError(f"GET {path} answered {exc.code}: {message}", exc.code) from None
        except (OSError, ValueError) as exc:  # refused, reset, timed out, or not JSON
            raise PromptFetchError(f"GET {path} failed: {exc}") from None


def _error_message(raw: bytes) -> str | None:
    try:
        error = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        return None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message) if message else None


_library: PromptLibrary | None = None
_ttl_s = DEFAULT_TTL_S
_library_lock = threading.Lock()


def configure(*, ttl_s: float = DEFAULT_TTL_S) -> None:
    """How long a fetched version is served from memory before it is fetched again (seconds)."""
    global _library, _ttl_s
    if ttl_s < 0:
        raise ValueError("ttl_s must be >= 0")
    with _library_lock:
        _ttl_s = ttl_s
        _library = None


def _default_library() -> PromptLibrary:
    """The library of the gateway `rungway.sdk.configure` named (a new one when it names another)."""
    global _library
    exporter = gateway()
    base, key = exporter.url.removesuffix("/v1/traces"), exporter.api_key
    with _library_lock:
        if _library is None or (_library.base_url, _library.api_key) != (base, key):
            _library = PromptLibrary(base, key, ttl_s=_ttl_s)
        return _library


def get(
    name: str, *, label: str | None = None, version: int | str | None = None, workload: str | None = None
) -> PromptHandle:
    """The version of prompt `name` that `label` (default `production`) or `version` names, for the key's
    workload (or `workload`, for an admin key); cached for the configured TTL, the last good copy while the
    server is unreachable."""
    return _default_library().get(name, label=label, version=version, workload=workload)
