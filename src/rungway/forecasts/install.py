"""The forecasts capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `forecasts:` section, the `forecasts` migrations branch (fc0001), `/api/forecasts*`, the
`rungway forecast` command, the `cost_forecasting` evidence check and the /ui/forecasts page;
`install_forecasts` runs the background loop that keeps the daily roll-up current and alerts (through
`rungway.alerts.public`) when a budget's forecast runs out inside its period.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from rungway.alerts.public import alerts_of
from rungway.capability import Background, Capability, Host, Installed
from rungway.forecasts.alerts import Opened, evaluate_episodes, send_opened
from rungway.forecasts.api import router
from rungway.forecasts.config import FORECASTS_SECTION, ForecastSettings
from rungway.forecasts.pages import pages
from rungway.forecasts.service import budget_outlooks
from rungway.forecasts.store import refresh_rollup

__all__ = ["CAPABILITY", "install_forecasts", "tick"]

log = logging.getLogger("rungway.forecasts")


def tick(engine: Engine, settings: ForecastSettings, now: float) -> list[Opened]:
    """One round of the loop: roll up closed hours, then (with alerts on) open and close exhaustion episodes;
    returns the episodes opened (to send)."""
    refresh_rollup(engine, now)
    if not settings.alerts:
        return []
    return evaluate_episodes(engine, budget_outlooks(engine, None, True, now, settings), now)


def install_forecasts(host: Host) -> Installed:
    state = host.state
    settings = state.config.section(FORECASTS_SECTION)

    async def loop() -> None:
        while True:
            now = time.time()
            try:
                opened = await asyncio.to_thread(tick, state.engine, settings, now)
                await send_opened(lambda: alerts_of(state.slots), opened, now)
            except SQLAlchemyError as exc:  # a store that is down or busy: the next round tries again
                log.warning("forecasts: the roll-up or the budget check failed: %s", exc)
            await asyncio.sleep(settings.refresh_s)

    return Installed(background=[Background("rungway-forecasts", loop)])


CAPABILITY = Capability(
    name="forecasts",
    install=install_forecasts,
    sections=(FORECASTS_SECTION,),
    routers=(router,),
    cli={"forecast": "rungway.forecasts.cli:forecast_group"},
    migrations="rungway.forecasts.migrations",
    checks=("rungway.forecasts.checks",),
    pages=(pages,),
)
"""Spend forecasts: `forecasts:`, /api/forecasts, budget-exhaustion alerts, `rungway forecast`, /ui/forecasts."""
