"""The `anomalies:` section of rungway.yaml: anomaly detection on or off per workload, its volume floor and
sensitivity.

    anomalies:
      enabled: true          # watch every workload with traffic (default: true)
      tick_s: 300            # how often the server rolls up closed hours and judges them (10 .. 3600)
      min_volume: 30         # calls in an hour (scores, for an online score) before that hour is judged (1 .. 1e6)
      sensitivity: 5         # robust z-score that opens an anomaly: higher, fewer alarms (2 .. 20)
      baseline_weeks: 4      # weeks of history the seasonal baseline reads (2 .. 12)
      workloads:
        support-bot: {min_volume: 100, sensitivity: 6}
        batch-jobs: {enabled: false}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.anomalies.detector import DetectorSettings
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["ANOMALIES_SECTION", "AnomaliesConfig", "WorkloadWatch", "parse_anomalies"]


@dataclass(frozen=True, slots=True)
class WorkloadWatch:
    """One workload's overrides (None: the section's default)."""

    enabled: bool | None = None
    min_volume: int | None = None
    sensitivity: float | None = None


@dataclass(frozen=True, slots=True)
class AnomaliesConfig:
    """The detector's defaults and each workload's overrides."""

    enabled: bool = True
    tick_s: float = 300.0
    min_volume: int = 30
    sensitivity: float = 5.0
    baseline_weeks: int = 4
    workloads: dict[str, WorkloadWatch] = field(default_factory=dict)

    def watches(self, workload: str) -> bool:
        """Whether the server judges this workload's metrics."""
        own = self.workloads.get(workload)
        return own.enabled if own is not None and own.enabled is not None else self.enabled

    def settings_for(self, workload: str) -> DetectorSettings:
        """The detector's settings for this workload (its overrides over the defaults)."""
        own = self.workloads.get(workload, WorkloadWatch())
        return DetectorSettings(
            sensitivity=own.sensitivity if own.sensitivity is not None else self.sensitivity,
            min_volume=own.min_volume if own.min_volume is not None else self.min_volume,
            baseline_weeks=self.baseline_weeks,
        )


def _mapping(raw: Any, key_path: str, source: str, lines: Any, example: str) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, key_path, source, lines).error(key_path, problem, f"write e.g. `{example}`")
    return data


def _number(data: ConfigMapping, key: str, path: str, low: float, high: float, *, integer: bool) -> Any:
    value = data.get(key)
    if value is None:
        return None
    kind = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
        what = "a whole number" if integer else "a number"
        raise data.error(f"{path}.{key}", f"expected {what} from {low:g} to {high:g}, got {value!r}",
                         f"write e.g. {int(low) if integer else low:g}")  # fmt: skip
    return value


def _flag(data: ConfigMapping, path: str) -> bool | None:
    value = data.get("enabled")
    if value is not None and not isinstance(value, bool):
        raise data.error(f"{path}.enabled", f"expected true or false, got {value!r}", "write e.g. false")
    return value


def parse_anomalies(raw: object, source: str = "rungway.yaml") -> AnomaliesConfig:
    """Validate `anomalies:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "anomalies", source, {}, "{enabled: true, min_volume: 30, sensitivity: 5}")
    enabled = _flag(data, "anomalies")
    tick = _number(data, "tick_s", "anomalies", 10, 3600, integer=False)
    min_volume = _number(data, "min_volume", "anomalies", 1, 1_000_000, integer=True)
    sensitivity = _number(data, "sensitivity", "anomalies", 2, 20, integer=False)
    weeks = _number(data, "baseline_weeks", "anomalies", 2, 12, integer=True)
    listed = _mapping(data.get("workloads"), "anomalies.workloads", source, data.lines, "{support: {enabled: false}}")
    workloads = {}
    for name, value in listed.items():
        path = f"anomalies.workloads.{name}"
        entry = _mapping(value, path, source, listed.lines, "{enabled: false}")
        workloads[str(name)] = WorkloadWatch(
            _flag(entry, path),
            _number(entry, "min_volume", path, 1, 1_000_000, integer=True),
            _number(entry, "sensitivity", path, 2, 20, integer=False),
        )
        entry.reject_unknown_keys()
    data.reject_unknown_keys()
    default = AnomaliesConfig()
    return AnomaliesConfig(
        enabled if enabled is not None else default.enabled,
        float(tick) if tick is not None else default.tick_s,
        min_volume if min_volume is not None else default.min_volume,
        float(sensitivity) if sensitivity is not None else default.sensitivity,
        weeks if weeks is not None else default.baseline_weeks,
        workloads,
    )


ANOMALIES_SECTION = ConfigSection("anomalies", parse_anomalies)
"""`anomalies:` in rungway.yaml."""
