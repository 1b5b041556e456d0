"""The alerts door: an alert is claimed once per key, POSTed with retries, its outcome reported with the URL
masked, and a receiver that never answers well ends in a failed result; close() lets deliveries land."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from rungway.alerts.public import AlertEvent, AlertResult, Alerts, AlertSettings
from rungway.counters.memory import MemoryCounters
from tests.alerts.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(fail_first=1)
    try:
        yield made
    finally:
        made.server.stop()


def test_claimed_once_retried_and_reported_masked(receiver: Receiver) -> None:
    results: list[AlertResult] = []

    async def scenario() -> list[bool]:
        alerts = Alerts(AlertSettings(receiver.url, attempts=3, backoff_s=0.01, timeout_s=5), MemoryCounters())
        event = AlertEvent("test.kind", "test:key:1", {"type": "test.kind", "n": 1})
        claimed = [await alerts.send(event, 60, on_result=results.append) for _ in range(3)]
        await alerts.close()
        return claimed

    assert asyncio.run(scenario()) == [True, False, False]
    assert receiver.delivered == [{"type": "test.kind", "n": 1}] and len(receiver.attempts) == 2
    (result,) = results
    assert result.delivered and result.attempts == 2
    assert "secret-token" not in result.url and result.url.endswith("/…")


def test_a_receiver_that_keeps_failing_ends_in_a_failed_result() -> None:
    results: list[AlertResult] = []
    failing = Receiver(fail_first=100)
    try:

        async def scenario() -> Alerts:
            alerts = Alerts(AlertSettings(failing.url, attempts=2, backoff_s=0.01), MemoryCounters())
            await alerts.send(AlertEvent("test.kind", "k", {}), 60, on_result=results.append)
            await alerts.close()
            return alerts

        alerts = asyncio.run(scenario())
    finally:
        failing.server.stop()
    (result,) = results
    assert not result.delivered and result.problem == "HTTP 500" and alerts.failed == 1


def test_no_url_anywhere_claims_and_sends_nothing() -> None:
    async def scenario() -> tuple[bool, int]:
        alerts = Alerts(AlertSettings(), MemoryCounters())
        claimed = await alerts.send(AlertEvent("test.kind", "k", {}), 60)
        await alerts.close()
        return claimed, alerts.sent

    assert asyncio.run(scenario()) == (True, 0)
