"""Gateway calls go straight to their handler; aiohttp's router and middlewares serve everything else.

Why it exists: every gateway call paid aiohttp's per-request dispatch (the URL parsed into a `yarl.URL`,
the router walked, a match info built and frozen, each middleware wrapped in a partial) for routes that
are static, take only POST and answer their own errors (the pipeline catches everything it raises). A
call to one of `GATEWAY_PATHS` is handed to its handler with a match info built once at start, so the
answer still goes through aiohttp's response machinery and the `on_response_prepare` signals
(`x-request-id`). Anything else (another method, a query string, `Expect: 100-continue`, any other
path) takes aiohttp's own path, unchanged.

Middlewares see only the management side: per-call work belongs in a `PipelineExtension`. A middleware
that must also see gateway calls leaves `management_only` unset; the fast path is then switched off
(every call through aiohttp's dispatch), so a forgotten mark costs speed, never behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import hdrs, web
from aiohttp.web_request import BaseRequest
from aiohttp.web_urldispatcher import UrlMappingMatchInfo

__all__ = ["GATEWAY_PATHS", "GatewayDispatch", "management_only"]

GATEWAY_PATHS = web.AppKey("rungway_gateway_paths", set[str])
_MARK = "_rungway_management_only"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def management_only(middleware: Any) -> Any:
    """Mark an aiohttp middleware as one gateway calls need not pass through (returns it)."""
    setattr(middleware, _MARK, True)
    return middleware


def add_gateway_path(app: web.Application, path: str) -> None:
    """Declare a POST route of the gateway (a pipeline answers it) as one the fast path may take."""
    if GATEWAY_PATHS not in app:
        app[GATEWAY_PATHS] = set()
    app[GATEWAY_PATHS].add(path)


class GatewayDispatch:
    """The server's request handler: gateway POST paths to their handler, the rest to `app._handle`."""

    __slots__ = ("_app", "_routes")

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._routes: dict[str, tuple[Handler, UrlMappingMatchInfo]] = {}
        if all(getattr(m, _MARK, False) for m in app.middlewares):
            paths = app.get(GATEWAY_PATHS) or set()
            self._routes = dict(_direct_routes(app, paths))

    @property
    def direct_paths(self) -> frozenset[str]:
        return frozenset(self._routes)

    async def __call__(self, request: BaseRequest) -> web.StreamResponse:
        if request.method == hdrs.METH_POST:
            found = self._routes.get(request.raw_path)
            if found is not None and hdrs.EXPECT not in request.headers:
                handler, match_info = found
                request._match_info = match_info  # type: ignore[attr-defined]  # a web.Request
                return await handler(request)  # type: ignore[arg-type]  # the server's factory makes web.Request
        return await self._app._handle(request)  # type: ignore[arg-type]


def _direct_routes(
    app: web.Application, paths: Iterable[str]
) -> Iterable[tuple[str, tuple[Handler, UrlMappingMatchInfo]]]:
    wanted = set(paths)
    for route in app.router.routes():
        path = route.resource.get_info().get("path") if route.resource is not None else None
        if route.method != hdrs.METH_POST or path not in wanted:
            continue
        match_info = UrlMappingMatchInfo({}, route)
        match_info.add_app(app)
        match_info.freeze()  # shared by every call to the route: nothing may change it
        yield str(path), (route.handler, match_info)
