"""HTTP to a running Rungway's gateway: the chat completions a red-team run sends (its attacks).

`GatewayChat` posts chat completion bodies with the workload's key over one aiohttp session, retrying a 429
or 5xx twice with a short backoff; any other answer is the attack's error (`ChatFailed`, the gateway's own
message). The CLI's management calls go through `rungway.cli.api_client`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from rungway.redteam.runner import ChatFailed

__all__ = ["GatewayChat"]

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
