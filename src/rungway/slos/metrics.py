"""The SLO gauges on `/metrics`, read from the evaluation loop's latest statuses at scrape time.

Names follow Sloth's and Pyrra's conventions: `rungway_slo_sli_ratio{slo,workload,window}` (the SLI over
the SLO's window), `rungway_slo_objective_ratio{slo,workload,window}`,
`rungway_slo_error_budget_remaining_ratio{slo,workload,window}` (1 untouched, 0 spent, below 0 overspent)
and `rungway_slo_burn_rate{slo,workload,window}` per burn window (5m .. 3d). Labels come from stored SLO
definitions only (bounded: at most 100 SLOs a workload), never from a caller's request. An SLO without
events over a window has no SLI or budget sample (absent rather than a made-up 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from rungway.slos.burn import SloStatus

__all__ = ["SloCollector"]

Windows = Callable[[], Mapping[tuple[str, str], tuple[int, SloStatus]]]
"""(workload, name) -> (the SLO's window in days, its latest status)."""


class SloCollector(Collector):
    """Reads the monitor's latest statuses when Prometheus scrapes."""

    def __init__(self, latest: Windows) -> None:
        self._latest = latest

    def collect(self) -> Iterable[GaugeMetricFamily]:
        labels = ["slo", "workload", "window"]
        sli = GaugeMetricFamily(
            "rungway_slo_sli_ratio", "Good events / valid events over the SLO window", labels=labels
        )
        objective = GaugeMetricFamily("rungway_slo_objective_ratio", "The SLO's objective", labels=labels)
        budget = GaugeMetricFamily(
            "rungway_slo_error_budget_remaining_ratio", "Share of the error budget left over the SLO window",
            labels=labels,
        )  # fmt: skip
        burn = GaugeMetricFamily("rungway_slo_burn_rate", "Error budget burn rate over a window", labels=labels)
        for (workload, name), (days, status) in sorted(self._latest().items()):
            window = f"{days}d"
            objective.add_metric([name, workload, window], status.objective)
            if status.sli is not None:
                sli.add_metric([name, workload, window], status.sli)
            if status.budget_remaining is not None:
                budget.add_metric([name, workload, window], status.budget_remaining)
            for label, rate in status.burn.items():
                burn.add_metric([name, workload, label], rate)
        return [sli, objective, budget, burn]
