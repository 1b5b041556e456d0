"""OpenAI clients for the gateway that carry the current span (`sdk/clients.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import rungway.sdk as rw
from rungway.sdk.clients import traceparent_headers
from tests.sdk.receiver import Receiver


@pytest.fixture
def configured() -> Iterator[str]:
    receiver = Receiver()
    rw.configure(receiver.base_url, "rw-test", service="t")
    try:
        yield receiver.base_url
    finally:
        rw.shutdown()
        receiver.stop()


def test_the_header_names_the_innermost_current_span() -> None:
    assert traceparent_headers() == {}
    with rw.span("outer") as outer:
        assert traceparent_headers() == {"traceparent": outer.traceparent}
        with rw.span("inner") as inner:
            assert traceparent_headers() == {"traceparent": inner.traceparent}
        assert traceparent_headers() == {"traceparent": outer.traceparent}
    assert traceparent_headers() == {}


def test_a_client_points_at_the_gateway_and_reads_the_span_when_each_request_is_built(configured: str) -> None:
    client = rw.openai_client(headers={"x-team": "qa"})
    assert str(client.base_url) == f"{configured}/v1/" and client.api_key == "rw-test"
    assert "traceparent" not in client.default_headers
    with rw.span("step") as step:
        headers = client.default_headers
        assert headers["traceparent"] == step.traceparent
        assert headers["x-team"] == "qa" and headers["x-rungway-sdk"] == "python"


def test_an_async_client_takes_its_own_key(configured: str) -> None:
    client = rw.async_openai_client(api_key="rw-other")
    assert client.api_key == "rw-other" and str(client.base_url) == f"{configured}/v1/"
    asyncio.run(client.close())


def test_a_client_before_configure_says_what_to_call() -> None:
    with pytest.raises(RuntimeError, match=r"call rungway.sdk.configure\(base_url, api_key\) first"):
        rw.openai_client()
