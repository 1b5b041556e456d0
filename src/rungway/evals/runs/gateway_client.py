"""How the eval runner calls the gateway: one chat completion per case, retried on transient errors only.

Calls go to the gateway's OpenAI-compatible `/v1/chat/completions` with the workload's key, so each is
recorded, traced, priced and budgeted as that workload's. The client is the gateway's own lean HTTP/1.1 pool
(`wire/http1.py`: ~18 µs of CPU a request against aiohttp's ~55 µs), which matters at the runner's budget of
1 ms of CPU per case.

Retried (bounded, exponential backoff with jitter, honouring Retry-After up to `MAX_RETRY_AFTER_S`): 429, 5xx,
connection failures and timeouts. Anything else (a 400 for a bad prompt variable, a 401, a 403 for a model the
key may not use, a budget's 402) is the case's error at once: retrying cannot change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any

import orjson

from rungway.evals.scorers.base import ToolCall
from rungway.wire.http1 import H1Pool, ResponseLimits
from rungway.wire.http1_address import H1Error

__all__ = ["Answer", "CallFailed", "GatewayClient", "RetryPolicy", "is_transient"]

MAX_REPLY_BYTES = 16 * 1024 * 1024
MAX_RETRY_AFTER_S = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `attempts` tries per call; waits of `base_s` x 2^n (x 0.5-1.5 jitter) up to `max_wait_s`."""

    attempts: int = 4
    base_s: float = 0.25
    max_wait_s: float = 8.0

    def wait_s(self, attempt: int, retry_after: str | None) -> float:
        wait: float = min(self.max_wait_s, self.base_s * 2**attempt) * random.uniform(0.5, 1.5)
        if retry_after:
            with contextlib.suppress(ValueError):  # an HTTP date or junk: the backoff alone
                wait = max(wait, min(float(retry_after), MAX_RETRY_AFTER_S))
        return wait


@dataclass(frozen=True, slots=True)
class Answer:
    """A model's answer to one case, as the runner scores and stores it."""

    output: str
    tool_calls: tuple[ToolCall, ...]
    latency_ms: float
    model: str | None
    usage: dict[str, Any] | None
    request_id: str | None
    trace_id: str | None


class CallFailed(Exception):
    """The gateway could not answer the case: `status` (None for a connection failure), a short reason,
    whether it was transient (and so retried until the attempts ran out) and the request id if any."""

    def __init__(
        self,
        reason: str,
        status: int | None,
        transient: bool,
        request_id: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.transient = transient
        self.request_id = request_id
        self.retry_after = retry_after


def is_transient(status: int) -> bool:
    return status == 429 or status >= 500


def _error_text(status: int, raw: bytes) -> str:
    try:
        error = orjson.loads(raw).get("error") or {}
        message = str(error.get("message") or "")[:500]
    except (orjson.JSONDecodeError, AttributeError):
        message = raw[:200].decode(errors="replace")
    return f"gateway answered {status}: {message}"


def _answer(raw: bytes, latency_ms: float, request_id: str | None, trace_id: str | None) -> Answer:
    try:
        data = orjson.loads(raw)
        message = data["choices"][0]["message"]
        calls = tuple(
            ToolCall(str(c["function"]["name"]), str(c["function"].get("arguments") or "{}"))
            for c in message.get("tool_calls") or ()
        )
        usage = data.get("usage")
        return Answer(
            str(message.get("content") or ""),
            calls,
            latency_ms,
            data.get("model"),
            usage if isinstance(usage, dict) else None,
            request_id,
            trace_id,
        )
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
        raise CallFailed("the gateway's answer is not a chat completion", 200, False, request_id) from None


class GatewayClient:
    """Chat completions against one gateway with one key, over a keep-alive pool of `concurrency`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        concurrency: int,
        timeout_s: float = 300.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/v1/chat/completions"
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.retries = 0  # how many calls were sent again, for the run's summary
        self.pool = H1Pool(concurrency, 10.0, limits=ResponseLimits(max_response_body_bytes=MAX_REPLY_BYTES))

    async def close(self) -> None:
        await self.pool.close()

    async def chat(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
        payload = orjson.dumps(body)
        sent = {**self.headers, **headers} if headers else self.headers
        attempt = 0
        while True:
            try:
                return await self._once(payload, sent)
            except CallFailed as failed:
                attempt += 1
                if not failed.transient or attempt >= self.retry.attempts:
                    raise
                self.retries += 1
                await asyncio.sleep(self.retry.wait_s(attempt - 1, failed.retry_after))

    async def _once(self, payload: bytes, headers: dict[str, str]) -> Answer:
        started = time.perf_counter()
        try:
            response = await self.pool.request("POST", self.url, headers, payload, self.timeout_s, whole=True)
            try:
                raw = await response.read()
            finally:
                response.release()
        except (H1Error, OSError, TimeoutError) as exc:
            raise CallFailed(f"{type(exc).__name__}: {exc}", None, True) from None
        latency_ms = (time.perf_counter() - started) * 1000
        request_id = response.headers.get("x-request-id")
        if response.status != 200:
            status = response.status
            raise CallFailed(
                _error_text(status, raw), status, is_transient(status), request_id, response.headers.get("retry-after")
            )
        return _answer(raw, latency_ms, request_id, response.headers.get("x-rungway-trace-id") or None)
