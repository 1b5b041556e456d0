"""The incidents recorder: an incident per circuit opened -> closed, what in-scope calls saw, and its
record in the store (SQLite and PostgreSQL), read back scoped to a workload."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiohttp import web

from rungway.capability import migration_packages
from rungway.domain.workloads import Workload
from rungway.gateway.context import CallContext
from rungway.gateway.routing import Attempt
from rungway.gateway.state import GatewayState
from rungway.models.health.book import HealthBook
from rungway.models.health.config import BreakerSettings
from rungway.models.incidents.recorder import IncidentRecorder
from rungway.models.incidents.store import list_incidents, read_incident, workload_view
from rungway.models.incidents.tally import classify
from rungway.settings.config import ModelRoute
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

PRIMARY = ModelRoute(name="primary", provider="sim", upstream_model="m-1")
FALLBACK = ModelRoute(name="fallback", provider="sim", upstream_model="m-2")
STATE = cast(GatewayState, None)


def _attempt(route: ModelRoute, started: float, outcome: str, latency_ms: float = 10.0) -> Attempt:
    return Attempt(deployment=route, index=0, started=started, latency_ms=latency_ms, outcome=outcome)


def _call(workload: str, attempts: list[Attempt], status: int = 200) -> CallContext:
    ctx = CallContext(request=cast(web.Request, None), endpoint="chat", id="req_1")
    ctx.workload = Workload(name=workload)
    ctx.attempts = attempts
    ctx.status = status
    return ctx


def test_classify_failed_over_lost_served_and_untouched() -> None:
    over = classify([_attempt(PRIMARY, 1.0, "5xx"), _attempt(FALLBACK, 1.02, "ok", 30)], "primary", True)
    assert over is not None and over.failed_over and over.served and round(over.added_ms or 0) == 20
    skipped = classify([_attempt(PRIMARY, 1.0, "skipped"), _attempt(FALLBACK, 1.0, "ok")], "primary", True)
    assert skipped is not None and skipped.failed_over and skipped.added_ms == 0
    lost = classify([_attempt(PRIMARY, 1.0, "5xx"), _attempt(FALLBACK, 1.1, "timeout")], "primary", False)
    assert lost is not None and lost.lost and not lost.served
    own = classify([_attempt(PRIMARY, 1.0, "4xx")], "primary", False)
    assert own is not None and not own.lost
    assert classify([_attempt(FALLBACK, 1.0, "ok")], "primary", True) is None


def test_an_incident_is_recorded_with_what_each_workload_saw(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    clock = [100.0]
    book = HealthBook(BreakerSettings(min_calls=2, cooldown_s=5.0), lambda: clock[0])
    recorder = IncidentRecorder(engine)
    book.listen(recorder.on_transition)

    async def main() -> None:
        ctx: Any = None
        for _ in range(2):
            book.finished(ctx, _attempt(PRIMARY, 1.0, "5xx"))
        assert book.state("primary") == "open" and recorder.incident_of("primary") is not None
        await recorder.flush()  # stored while open
        for i in range(10):
            attempts = [_attempt(PRIMARY, 1.0, "skipped"), _attempt(FALLBACK, 1.0 + i / 1000, "ok")]
            await recorder.after_call(STATE, _call("support", attempts))
        await recorder.after_call(STATE, _call("batch", [_attempt(PRIMARY, 1.0, "skipped")], status=503))
        await recorder.after_call(STATE, _call("other", [_attempt(FALLBACK, 1.0, "ok")]))  # not in scope
        clock[0] += 5.0
        assert book.admit("primary", 0.0)
        book.finished(ctx, _attempt(PRIMARY, 1.0, "ok"))
        assert book.state("primary") == "closed" and recorder.incident_of("primary") is None
        await recorder.flush()

    asyncio.run(main())
    (row,) = list_incidents(engine, None)
    assert (row.deployment, row.calls, row.failed_over, row.lost, row.served) == ("primary", 11, 10, 1, 10)
    assert row.closed_at is not None and row.closed_at >= row.opened_at
    assert row.added_p99_ms is not None and row.added_p99_ms <= 10
    assert [i.id for i in list_incidents(engine, "support")] == [row.id]
    assert list_incidents(engine, "other") == []
    full = read_incident(engine, row.id, None)
    assert full is not None and [w.workload for w in full.workloads] == ["batch", "support"]
    mine = read_incident(engine, row.id, "batch")
    assert mine is not None and [w.workload for w in workload_view(mine, "batch").workloads] == ["batch"]
    assert read_incident(engine, row.id, "other") is None
    engine.dispose()


def test_an_opened_incident_is_announced_once(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    announced: list[str] = []

    async def announce(row: Any) -> None:
        announced.append(row.id)

    book = HealthBook(BreakerSettings(min_calls=2), lambda: 100.0)
    recorder = IncidentRecorder(engine, on_opened=announce)
    book.listen(recorder.on_transition)

    async def main() -> None:
        ctx: Any = None
        for _ in range(2):
            book.finished(ctx, _attempt(PRIMARY, 1.0, "5xx"))
        await recorder.flush()
        await recorder.after_call(STATE, _call("support", [_attempt(PRIMARY, 1.0, "skipped")], status=503))
        await recorder.flush()

    asyncio.run(main())
    incident = recorder.incident_of("primary")
    assert incident is not None and announced == [incident.id]
    engine.dispose()
