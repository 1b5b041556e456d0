"""The budgets capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares what the core wires: the `budgets:` section (`alerts:` belongs to rungway.alerts), the /api/budgets and
/api/cost routers, the `rungway budgets` and `rungway cost` commands and the `budgets` migrations
branch; `install_budgets` builds the runtime a server enforces budgets with.
"""

from __future__ import annotations

from rungway.alerts.public import alerts_of
from rungway.budgets import api, cost_api
from rungway.budgets.alerts import BudgetAlerts
from rungway.budgets.book import BUDGETS_SECTION, BudgetBook
from rungway.budgets.pages import pages
from rungway.budgets.steps import BUDGETS, BudgetHolds, BudgetRuntime
from rungway.budgets.store import BudgetEvent, insert_events
from rungway.capability import Capability, Host, Installed
from rungway.gateway.limits import settles_pending
from rungway.store.record_files import RecordCodec
from rungway.store.writer import BatchWriter

__all__ = ["CAPABILITY", "install_budgets"]


def install_budgets(host: Host) -> Installed:
    """Budgets: the in-memory book (seeded, refreshed), webhook alerts, the event writer, the holder."""
    state = host.state
    settings = state.config.section(BUDGETS_SECTION)
    rec = state.config.recorder
    events: BatchWriter[BudgetEvent] = BatchWriter(
        "budget_events",
        lambda batch: insert_events(state.engine, batch),
        max_queue=rec.queue_size,
        batch_size=rec.batch_size,
        flush_interval_s=rec.flush_interval_ms / 1000,
        codec=RecordCodec(BudgetEvent, ("id",)),
    )
    alerts = BudgetAlerts(lambda: alerts_of(state.slots), events)  # the alerts capability's sender, found when sending

    def seed_failed(outcome: str) -> None:
        state.metrics.counter_errors.labels(state.counters.name, outcome).inc()

    book = BudgetBook(
        state.engine,
        state.counters,
        alerts,
        settings.refresh_s,
        on_error=seed_failed,
        reconcile_s=settings.reconcile_s,
        settles_pending=settles_pending,
    )
    runtime = BudgetRuntime(book, alerts, events, settings)
    state.slots[BUDGETS] = runtime

    async def stop() -> None:
        await book.stop()

    return Installed(
        writers=[events], budget_holders=[BudgetHolds(runtime)], on_startup=[book.start], on_cleanup=[stop]
    )


CAPABILITY = Capability(
    name="budgets",
    install=install_budgets,
    sections=(BUDGETS_SECTION,),
    routers=(api.router, cost_api.router),
    cli={"budgets": "rungway.budgets.cli:budgets_group", "cost": "rungway.budgets.cost_cli:cost_group"},
    migrations="rungway.budgets.migrations",
    checks=("rungway.budgets.checks",),
    pages=(pages,),
)
"""Budgets, their alerts and cost attribution: holds with the rate limits, `budgets:`,
/api/budgets and /api/cost, `rungway budgets` and `rungway cost`."""
