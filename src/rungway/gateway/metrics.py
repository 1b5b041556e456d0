"""Prometheus metrics of the gateway: requests, errors, latency, tokens, cost, queue health.

Bounded by construction: every label value comes from configuration or from our own code (the
endpoint, the workload of the key, the configured model route, our error types and statuses), never
from what a caller typed, so no request can add a series. `/metrics` shows every workload's spend:
with `server.metrics_key` set it answers only that key or the admin key (`metrics_access_allowed`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.registry import Collector

from rungway.store.writer import BatchWriter

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class _WriterCollector(Collector):
    """Reads queue depth and counts from the batch writers at scrape time."""

    def __init__(self, writers: Callable[[], Iterable[BatchWriter[object]]]) -> None:
        self._writers = writers

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily]:
        depth = GaugeMetricFamily("rungway_queue_depth", "Records waiting for the batch writer", labels=["queue"])
        accepted = CounterMetricFamily("rungway_records_accepted", "Records accepted into the queue", labels=["queue"])
        written = CounterMetricFamily("rungway_records_written", "Records written to the store", labels=["queue"])
        dropped = CounterMetricFamily(
            "rungway_records_dropped", "Records dropped because the queue was full", labels=["queue"]
        )
        failed = CounterMetricFamily(
            "rungway_store_write_failures", "Batch writes that failed and were retried", labels=["queue"]
        )
        room = GaugeMetricFamily("rungway_queue_room", "Records the queue can still accept", labels=["queue"])
        up = GaugeMetricFamily(
            "rungway_store_up",
            "1 when the queue's last write to the store succeeded, 0 while it fails",
            labels=["queue"],
        )
        quarantined = CounterMetricFamily(
            "rungway_records_quarantined", "Records the store refused, kept in the quarantine file", labels=["queue"]
        )
        spilled = CounterMetricFamily(
            "rungway_records_spilled", "Records not written at shutdown, kept on disk for replay", labels=["queue"]
        )
        lost = CounterMetricFamily("rungway_records_lost", "Records neither written nor kept on disk", labels=["queue"])
        replayed = CounterMetricFamily(
            "rungway_records_replayed",
            "Records an earlier run left on disk, replayed at start (each stored once)",
            labels=["queue"],
        )
        for w in self._writers():
            depth.add_metric([w.name], w.depth)
            accepted.add_metric([w.name], w.accepted)
            written.add_metric([w.name], w.written)
            dropped.add_metric([w.name], w.dropped)
            failed.add_metric([w.name], w.failed_batches)
            room.add_metric([w.name], w.capacity_left)
            up.add_metric([w.name], 1 if w.store_ok else 0)
            quarantined.add_metric([w.name], w.quarantined)
            spilled.add_metric([w.name], w.spilled)
            lost.add_metric([w.name], w.lost_on_close)
            replayed.add_metric([w.name], w.replayed)
        return [depth, accepted, written, dropped, failed, room, up, quarantined, spilled, lost, replayed]


class _AttemptsCollector(Collector):
    """`rungway_upstream_attempts_total{deployment,outcome}` from the gateway's counts, at scrape time."""

    def __init__(self, counts: dict[tuple[str, str], int]) -> None:
        self._counts = counts

    def collect(self) -> Iterable[CounterMetricFamily]:
        family = CounterMetricFamily(
            "rungway_upstream_attempts",
            "Tries of a deployment by outcome (ok, timeout, connect, 5xx, 429, 4xx, skipped, cancelled)",
            labels=["deployment", "outcome"],
        )
        for (deployment, outcome), count in list(self._counts.items()):
            family.add_metric([deployment, outcome], count)
        return [family]


class CallSeries:
    """The metric children one (endpoint, workload, model) writes to, each made on first use and kept.

    prometheus_client's `labels()` validates, stringifies and locks on every call; the gateway
    records several series per call, so it looks each child up once (a series appears in /metrics
    when first written, exactly as with `labels()`).
    """

    __slots__ = ("_cache", "_metrics", "endpoint", "model", "workload")

    def __init__(self, metrics: GatewayMetrics, endpoint: str, workload: str, model: str) -> None:
        self._metrics = metrics
        self._cache: dict[object, Any] = {}
        self.endpoint, self.workload, self.model = endpoint, workload, model

    def _child(self, key: object, metric: MetricWrapperBase, *labels: str) -> Any:
        child = self._cache.get(key)
        if child is None:
            child = self._cache[key] = metric.labels(*labels)
        return child

    def requests(self, status: int) -> Any:
        return self._child(status, self._metrics.requests, self.endpoint, self.workload, self.model, str(status))

    def errors(self, error_type: str) -> Any:
        return self._child(("error", error_type), self._metrics.errors, self.endpoint, self.workload, error_type)

    def latency(self) -> Any:
        return self._child("latency", self._metrics.latency, self.endpoint, self.model)

    def overhead(self) -> Any:
        return self._child("overhead", self._metrics.overhead, self.endpoint)

    def ttft(self) -> Any:
        return self._child("ttft", self._metrics.ttft, self.model)

    def tokens(self, direction: str) -> Any:
        return self._child(direction, self._metrics.tokens, self.workload, self.model, direction)

    def cost(self) -> Any:
        return self._child("cost", self._metrics.cost, self.workload, self.model)


def metrics_access_allowed(authorization: str | None, metrics_key: str | None, admin_key: str | None) -> bool:
    """Whether a scrape with this Authorization header may read /metrics (always, when no key is set)."""
    if metrics_key is None:
        return True
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret:
        return False
    given = secret.strip().encode()
    allowed = [metrics_key] + ([admin_key] if admin_key else [])
    return any(hmac.compare_digest(given, key.encode()) for key in allowed)


class GatewayMetrics:
    """The gateway's own registry (not the global one, so several gateways can live in one process)."""

    def __init__(self, writers: Callable[[], Iterable[BatchWriter[object]]]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "rungway_requests", "Gateway calls", ["endpoint", "workload", "model", "status"], registry=r
        )
        self.errors = Counter(
            "rungway_errors", "Gateway calls that failed", ["endpoint", "workload", "error_type"], registry=r
        )
        self.latency = Histogram(
            "rungway_request_latency_seconds",
            "Total latency of gateway calls",
            ["endpoint", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "rungway_gateway_overhead_seconds",
            "Latency added by the gateway",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "rungway_time_to_first_token_seconds",
            "Time to first token of streams",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter("rungway_tokens", "Tokens processed", ["workload", "model", "direction"], registry=r)
        self.cost = Counter("rungway_cost_usd", "Cost of gateway calls in USD", ["workload", "model"], registry=r)
        self.rate_limited = Counter("rungway_rate_limited", "Calls refused by a rate limit", ["limit"], registry=r)
        self.usage_anomalies = Counter(
            "rungway_usage_anomalies",
            "Calls whose upstream-reported usage was invalid or more than the call could use (corrected)",
            ["model"],
            registry=r,
        )
        self.usage_anomaly_logged: set[str] = set()  # models whose first correction was logged (one line each)
        self.counter_errors = Counter(
            "rungway_counter_backend_errors", "Counter backend failures", ["backend", "outcome"], registry=r
        )
        # Counted in a plain dict (a try costs a dict update, not a locked child's inc) and read at scrape time.
        self.attempts: dict[tuple[str, str], int] = {}
        r.register(_AttemptsCollector(self.attempts))
        self.guardrail_hits = Counter(
            "rungway_guardrail_hits",
            "Guardrail hits by detector (a configured name), direction (input, output) and action",
            ["detector", "direction", "action"],
            registry=r,
        )
        r.register(_WriterCollector(writers))
        self._series: dict[tuple[str, str, str], CallSeries] = {}

    def count_attempt(self, deployment: str, outcome: str) -> None:
        """One try of `deployment` (a configured name) ended in `outcome` (our own word)."""
        key = (deployment, outcome)
        self.attempts[key] = self.attempts.get(key, 0) + 1

    def series(self, endpoint: str, workload: str, model: str) -> CallSeries:
        """The cached metric children of calls to `model` by `workload` on `endpoint`.

        `model` is a configured route's name ("" when the call named no configured model), never the
        name the caller sent."""
        key = (endpoint, workload, model)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = CallSeries(self, endpoint, workload, model)
        return found

    def render(self) -> bytes:
        return generate_latest(self.registry)
