"""Fixtures for provider tests: loopback fake upstreams, and a way to drive an adapter directly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from rungway.providers.base import ChatCall, Provider, StreamChunk
from rungway.providers.registry import create_provider
from rungway.settings.config import ProviderConfig
from tests.providers.fake_anthropic import FakeAnthropic
from tests.providers.fake_gemini import FakeGemini
from tests.providers.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    server = FakeGemini()
    try:
        yield server
    finally:
        server.stop()


def make_provider(provider_type: str, **options: Any) -> Provider:
    """Build an adapter through the registry, as the server does."""
    return create_provider(ProviderConfig("up", provider_type, options, "providers.up", "rungway.yaml:5"))


def drive(provider: Provider, action: Callable[[Provider], Awaitable[Any]]) -> Any:
    """Start the provider, run one action on a fresh event loop, close the provider."""

    async def main() -> Any:
        await provider.start()
        try:
            return await action(provider)
        finally:
            await provider.close()

    return asyncio.run(main())


def stream(provider: Provider, body: dict[str, Any]) -> list[StreamChunk]:
    async def collect(p: Provider) -> list[StreamChunk]:
        return [chunk async for chunk in p.chat_stream(ChatCall(body, stream=True))]

    return list(drive(provider, collect))
