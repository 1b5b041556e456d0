"""Fault switches: make a provider fail on purpose for a while (outage drills).

A `FaultSwitch` holds at most one `Fault` (an error rate, an added latency, or a hang) until a
deadline; `apply` is awaited before each upstream request and raises or sleeps as the fault says.
The simulator carries a switch of its own; any other provider can be wrapped in `FaultyProvider`
(`providers/registry.py` `fault_switch`), which the models capability does only where the
configuration allows it (test environments). With no fault set, `apply` is one attribute read.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from rungway.errors import UpstreamError, UpstreamTimeout
from rungway.providers.base import ChatCall, ChatResult, EmbedCall, EmbedResult, Provider, StreamChunk

__all__ = ["Fault", "FaultSwitch", "FaultyProvider"]


@dataclass(frozen=True, slots=True)
class Fault:
    """Fail `error_rate` of requests (503), delay each by `latency_s`, or `hang` (no answer until the
    request's own timeout), until `until` (epoch seconds); only requests for upstream `model` when set
    (a drill faults one deployment, not every model of its provider)."""

    until: float
    model: str | None = None
    error_rate: float = 0.0
    latency_s: float = 0.0
    hang: bool = False


class FaultSwitch:
    """One provider's fault, set and cleared by the server (a drill), read before every request."""

    __slots__ = ("_rng", "fault", "name")

    def __init__(self, name: str, seed: int = 0) -> None:
        self.name = name
        self.fault: Fault | None = None
        self._rng = random.Random(seed)

    def set(self, fault: Fault) -> None:
        self.fault = fault

    def clear(self) -> None:
        self.fault = None

    def active(self, now: float | None = None) -> Fault | None:
        fault = self.fault
        if fault is None:
            return None
        if (time.time() if now is None else now) >= fault.until:
            self.fault = None
            return None
        return fault

    async def apply(self, timeout_s: float, model: object = None) -> None:
        """Misbehave as the fault says: raise an upstream error, sleep, or hang until the timeout."""
        if self.fault is None:
            return
        fault = self.active()
        if fault is None or (fault.model is not None and fault.model != model):
            return
        if fault.hang:
            await asyncio.sleep(timeout_s)
            raise UpstreamTimeout(f"{self.name}: no answer within {timeout_s:g}s (fault switch: hang)")
        if fault.error_rate and self._rng.random() < fault.error_rate:
            raise UpstreamError(f"{self.name}: provider outage (fault switch)", upstream_status=503)
        if fault.latency_s:
            if fault.latency_s >= timeout_s:
                await asyncio.sleep(timeout_s)
                raise UpstreamTimeout(f"{self.name}: no answer within {timeout_s:g}s (fault switch: latency)")
            await asyncio.sleep(fault.latency_s)


class FaultyProvider:
    """Any provider behind a fault switch: the switch is applied before each request is sent."""

    def __init__(self, inner: Provider, switch: FaultSwitch | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.account = inner.account
        self.faults = switch or FaultSwitch(inner.name)

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def chat(self, call: ChatCall) -> ChatResult:
        await self.faults.apply(call.timeout_s, call.body.get("model"))
        return await self.inner.chat(call)

    async def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        await self.faults.apply(call.timeout_s, call.body.get("model"))
        async for chunk in self.inner.chat_stream(call):
            yield chunk

    async def embed(self, call: EmbedCall) -> EmbedResult:
        await self.faults.apply(call.timeout_s, call.body.get("model"))
        return await self.inner.embed(call)
