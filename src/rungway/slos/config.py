"""The `slos:` section of rungway.yaml: the evaluation loop's settings and the declared SLOs per workload.

    slos:
      tick_s: 60                 # how often the server evaluates every SLO (burn rates, alerts, metrics)
      snapshot_every: 5m         # how often a status is kept as history (1m .. 1d)
      min_calls: 100             # fewer valid events than this over the window: the SLO is "unmeasured"
      workloads:
        support-bot:
          chat-availability:
            kind: availability   # availability | latency | quality
            objective: 99.5      # percent, or a share (0.995)
            window: 30d          # 7d, 28d or 30d, rolling
          chat-latency:
            kind: latency
            objective: 0.95
            threshold_ms: 2000
            measure: ttft        # total (default) or ttft
            model: gpt-4o-mini   # only calls that asked for this model (or `route: RULE`)
          answer-quality:
            kind: quality        # the evals capability's online scores
            objective: 0.9
            score: helpfulness   # only this score's (default: every online score)
            pass_threshold: 0.7  # a numeric score passes at or above this (default 0.5)

SLOs made through `/api/slos` (or `rungway slo create|import`) join these; an SLO named here keeps the
configured definition (the API cannot change or delete it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.domain.timespec import TimeSpecError, parse_duration
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked
from rungway.slos.model import Slo, SloInvalid, check_slo

__all__ = ["SLOS_SECTION", "SloConfig", "parse_slos"]

_SLO_KEYS = ("kind", "objective", "window", "model", "route", "threshold_ms", "measure", "score", "pass_threshold",
             "description")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SloConfig:
    """The loop's settings and the configured SLOs, by (workload, name)."""

    tick_s: float = 60.0
    snapshot_every_s: float = 300.0
    min_calls: int = 100
    slos: dict[tuple[str, str], Slo] = field(default_factory=dict)


def _mapping(raw: Any, key_path: str, source: str, lines: Any, example: str) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, key_path, source, lines).error(key_path, problem, f"write e.g. `{example}`")
    return data


def _slo(workload: str, name: str, entry: ConfigMapping, path: str) -> Slo:
    values = {key: entry.get(key) for key in _SLO_KEYS if entry.get(key) is not None}
    try:
        slo = check_slo(workload, name, values)
    except SloInvalid as exc:
        key = path if exc.field == "name" else f"{path}.{exc.field}"
        raise entry.error(key, exc.problem, exc.fix) from None
    entry.reject_unknown_keys()
    return slo


def parse_slos(raw: object, source: str = "rungway.yaml") -> SloConfig:
    """Validate `slos:`; every error names the file, line, key path and the fix."""
    example = "{workloads: {support: {availability: {kind: availability, objective: 99.5}}}}"
    data = _mapping(raw, "slos", source, {}, example)
    tick = data.get("tick_s", 60.0)
    if isinstance(tick, bool) or not isinstance(tick, int | float) or not 0.05 <= tick <= 3600:
        raise data.error("slos.tick_s", f"expected seconds from 0.05 to 3600, got {tick!r}", "write e.g. 60")
    every_raw = data.get("snapshot_every", "5m")
    try:
        every = parse_duration(str(every_raw)) if isinstance(every_raw, str) else None
    except TimeSpecError:
        every = None
    if every is None or not 60 <= every <= 86400:
        raise data.error(
            "slos.snapshot_every", f"expected a duration from 1m to 1d, got {every_raw!r}", "write e.g. 5m"
        )
    min_calls = data.get("min_calls", 100)
    if isinstance(min_calls, bool) or not isinstance(min_calls, int) or not 1 <= min_calls <= 10_000_000:
        raise data.error("slos.min_calls", f"expected 1 to 10000000, got {min_calls!r}", "write e.g. 100")
    workloads = _mapping(data.get("workloads"), "slos.workloads", source, data.lines,
                         "{support: {availability: {kind: availability, objective: 99.5}}}")  # fmt: skip
    slos: dict[tuple[str, str], Slo] = {}
    for workload, value in workloads.items():
        path = f"slos.workloads.{workload}"
        entries = _mapping(
            value, path, source, workloads.lines, "{availability: {kind: availability, objective: 99.5}}"
        )
        for name, body in entries.items():
            entry = _mapping(body, f"{path}.{name}", source, entries.lines, "{kind: availability, objective: 99.5}")
            slos[(str(workload), str(name))] = _slo(str(workload), str(name), entry, f"{path}.{name}")
    data.reject_unknown_keys()
    return SloConfig(float(tick), float(every), min_calls, slos)


SLOS_SECTION = ConfigSection("slos", parse_slos)
"""`slos:` in rungway.yaml."""
