"""Fault switches (`providers/faults.py`): the simulator's own, any provider wrapped, one model only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from rungway.errors import UpstreamError, UpstreamTimeout
from rungway.providers.base import ChatCall, ChatResult, EmbedCall, EmbedResult, Provider, StreamChunk
from rungway.providers.faults import Fault, FaultSwitch, FaultyProvider
from rungway.providers.registry import create_provider, fault_switch
from rungway.settings.config import ProviderConfig

BODY = {"model": "m-1", "messages": [{"role": "user", "content": "hi"}]}


def _simulator() -> Provider:
    return create_provider(ProviderConfig(name="sim", type="simulator", options={}, key_path="providers.sim"))


class Plain:
    """A provider with no fault switch of its own (as the openai adapter)."""

    def __init__(self, inner: Provider) -> None:
        self.name, self.account, self._inner = "plain", "plain", inner

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def chat(self, call: ChatCall) -> ChatResult:
        return await self._inner.chat(call)

    def chat_stream(self, call: ChatCall) -> AsyncIterator[StreamChunk]:
        return self._inner.chat_stream(call)

    async def embed(self, call: EmbedCall) -> EmbedResult:
        return await self._inner.embed(call)


def test_the_simulator_has_its_own_switch_and_others_are_wrapped_only_when_allowed() -> None:
    sim = _simulator()
    served, switch = fault_switch(sim, wrap=False)
    assert served is sim and switch is not None
    plain = Plain(sim)
    assert fault_switch(plain, wrap=False) == (plain, None)
    wrapped, own = fault_switch(plain, wrap=True)
    assert isinstance(wrapped, FaultyProvider) and wrapped.inner is plain and own is wrapped.faults
    assert fault_switch(wrapped, wrap=True)[0] is wrapped  # never wrapped twice


def test_a_fault_fails_its_model_only_until_its_deadline() -> None:
    sim = _simulator()
    _served, switch = fault_switch(sim, wrap=False)
    assert switch is not None

    async def main() -> None:
        switch.set(Fault(until=time.time() + 0.3, model="m-1", error_rate=1.0))
        with pytest.raises(UpstreamError):
            await sim.chat(ChatCall(body=dict(BODY)))
        await sim.chat(ChatCall(body={**BODY, "model": "m-2"}))  # another model of the provider answers
        await asyncio.sleep(0.35)
        await sim.chat(ChatCall(body=dict(BODY)))  # the deadline passed
        assert switch.fault is None

    asyncio.run(main())


def test_hang_waits_for_the_timeout_and_latency_is_added() -> None:
    switch = FaultSwitch("p")

    async def main() -> None:
        switch.set(Fault(until=time.time() + 5, hang=True))
        with pytest.raises(UpstreamTimeout):
            await switch.apply(0.01)
        switch.set(Fault(until=time.time() + 5, latency_s=0.01))
        await switch.apply(1.0)
        with pytest.raises(UpstreamTimeout):
            await switch.apply(0.005)
        switch.clear()
        await switch.apply(0.001)

    asyncio.run(main())


def test_a_wrapped_provider_applies_the_switch_before_the_request() -> None:
    wrapped = FaultyProvider(_simulator())

    async def main() -> None:
        await wrapped.start()
        await wrapped.chat(ChatCall(body=dict(BODY)))
        wrapped.faults.set(Fault(until=time.time() + 5, error_rate=1.0))
        with pytest.raises(UpstreamError):
            await wrapped.chat(ChatCall(body=dict(BODY)))
        with pytest.raises(UpstreamError):
            async for _chunk in wrapped.chat_stream(ChatCall(body=dict(BODY), stream=True)):
                pass
        await wrapped.close()

    asyncio.run(main())
