"""Spans for an application's own steps: `span()` (sync and async context manager) and `@trace`.

The current span lives in a `contextvars.ContextVar`, so nesting follows the code (threads and
asyncio tasks each see their own), and `traceparent_headers()` can hand it to the gateway.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from rungway.sdk.export import SpanExporter
from rungway.sdk.span import Span

P = ParamSpec("P")
R = TypeVar("R")

_current: contextvars.ContextVar[Span | None] = contextvars.ContextVar("rungway_span", default=None)
_exporter: SpanExporter | None = None


def configure(base_url: str, api_key: str, *, service: str = "app", timeout_s: float = 5.0) -> None:
    """Send spans to the gateway at `base_url` (e.g. http://127.0.0.1:4000) with a workload key."""
    global _exporter
    if _exporter is not None:
        _exporter.shutdown()
    _exporter = SpanExporter(base_url.rstrip("/"), api_key, service, timeout_s)


def configured_gateway() -> SpanExporter | None:
    """The exporter `configure()` made last, or None before it is called (scores send to the same gateway)."""
    return _exporter


def gateway() -> SpanExporter:
    if _exporter is None:
        raise RuntimeError("rungway.sdk is not configured: call rungway.sdk.configure(base_url, api_key) first")
    return _exporter


def current_span() -> Span | None:
    return _current.get()


def flush(timeout_s: float = 10.0) -> bool:
    """Send every finished span now; True when all were delivered."""
    return _exporter.flush(timeout_s) if _exporter is not None else True


def shutdown() -> None:
    global _exporter
    if _exporter is not None:
        _exporter.shutdown()
        _exporter = None


def _finish(s: Span, error: BaseException | None) -> None:
    s.end_ns = time.time_ns()
    if error is not None and s.status[0] != 2:
        s.status = (2, f"{error.__class__.__name__}: {error}")
    elif s.status[0] == 0:
        s.status = (1, "")
    if _exporter is not None:
        _exporter.add(s)


class _SpanScope:
    """What `span()` returns: usable as `with` and as `async with`."""

    def __init__(self, name: str, kind: str, attributes: dict[str, Any] | None) -> None:
        self._args = (name, kind, attributes)
        self._span: Span | None = None
        self._token: contextvars.Token[Span | None] | None = None

    def __enter__(self) -> Span:
        self._span = Span(*self._args[:2], _current.get(), self._args[2])
        self._token = _current.set(self._span)
        return self._span

    def __exit__(self, _type: Any, error: BaseException | None, _tb: Any) -> None:
        assert self._span is not None and self._token is not None
        _current.reset(self._token)
        _finish(self._span, error)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(self, _type: Any, error: BaseException | None, _tb: Any) -> None:
        self.__exit__(_type, error, _tb)


def span(name: str, kind: str = "custom", attributes: dict[str, Any] | None = None) -> _SpanScope:
    """A span around a block: `with span("search", kind="retrieval") as s:` (or `async with`)."""
    return _SpanScope(name, kind, attributes)


def trace(name: str | Callable[..., Any] | None = None, *, kind: str = "custom", capture: bool = True) -> Any:
    """Decorate a function (sync or async) so each call is a span; arguments and result are captured."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        span_name = name if isinstance(name, str) else fn.__qualname__

        def record_input(s: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            if capture:
                s.set_input({"args": list(args), "kwargs": kwargs})

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with span(span_name, kind) as s:
                    record_input(s, args, kwargs)
                    result = await fn(*args, **kwargs)
                    if capture:
                        s.set_output(result)
                    return result

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with span(span_name, kind) as s:
                record_input(s, args, kwargs)
                result = fn(*args, **kwargs)
                if capture:
                    s.set_output(result)
                return result

        return run

    if callable(name):
        return decorate(name)
    return decorate
