"""A webhook receiver on 127.0.0.1 for alert tests: records every POST, answers 500 to the first few."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.servers import AppServer


class Receiver:
    """A loopback webhook that answers 500 to the first `fail_first` POSTs."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.attempts: list[dict[str, Any]] = []
        self.delivered: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_post("/hook/secret-token", self.hook)
        self.server = AppServer(app)
        self.url = self.server.base_url + "/hook/secret-token"

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.attempts.append(body)
        if len(self.attempts) <= self.fail_first:
            return web.Response(status=500)
        self.delivered.append(body)
        return web.json_response({"ok": True})

    def wait_for(self, count: int, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.delivered) < count:
            assert time.monotonic() < deadline, f"{len(self.delivered)} of {count} alerts delivered"
            time.sleep(0.01)
