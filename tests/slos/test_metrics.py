"""The SLO gauges: SLI, objective and budget over the SLO's window, a burn rate per window; no SLI sample
for an SLO without events."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from rungway.slos.burn import BURN_WINDOWS, Counts, status_of
from rungway.slos.metrics import SloCollector


def test_gauges_per_slo_and_window() -> None:
    busy = status_of(0, 0.99, Counts(98, 100), {s: Counts(98, 100) for s in BURN_WINDOWS})
    idle = status_of(0, 0.99, Counts(), {s: Counts() for s in BURN_WINDOWS})
    registry = CollectorRegistry()
    registry.register(SloCollector(lambda: {("bot", "avail"): (30, busy), ("bot", "quiet"): (7, idle)}))
    text = generate_latest(registry).decode()
    assert 'rungway_slo_sli_ratio{slo="avail",window="30d",workload="bot"} 0.98' in text
    assert 'rungway_slo_error_budget_remaining_ratio{slo="avail",window="30d",workload="bot"} -1.0' in text
    assert 'rungway_slo_burn_rate{slo="avail",window="5m",workload="bot"} 2.0' in text
    assert 'rungway_slo_objective_ratio{slo="quiet",window="7d",workload="bot"} 0.99' in text
    assert 'rungway_slo_sli_ratio{slo="quiet"' not in text  # no events: absent, not a made-up 1
    assert 'rungway_slo_burn_rate{slo="quiet",window="3d",workload="bot"} 0.0' in text
