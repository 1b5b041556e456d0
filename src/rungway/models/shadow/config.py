"""The `shadow:` section of rungway.yaml: live traffic of a workload copied to a candidate model.

    shadow:
      refresh: 1s                      # how often each server reloads the shadow runs into memory
      timeout: 120s                    # the most a shadow call may take before it counts as an error
      workloads:
        support: {from: gpt-4o-2024-08-06, to: gpt-4.1-2025-04-14, sample: 0.05, max_in_flight: 4}

A configured entry seeds a shadow run in the store once (the API and the CLI may stop it, and that
stays stopped); `POST /api/models/shadow` starts and stops runs at run time. `from` and `to` name
`models:` entries; `sample` is the fraction of the workload's successful calls to `from` that are
copied; `max_in_flight` bounds the shadow calls in flight per workload (past it a sampled call is
dropped and counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.domain.timespec import positive_duration
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = [
    "DEFAULT_IN_FLIGHT",
    "MAX_IN_FLIGHT",
    "SHADOW_SECTION",
    "ShadowConfig",
    "ShadowTarget",
    "check_in_flight",
    "check_sample",
    "parse_shadow",
]

MAX_IN_FLIGHT = 1_000
"""The most shadow calls one workload may have in flight (a run's `max_in_flight` is at most this)."""
DEFAULT_IN_FLIGHT = 4


@dataclass(frozen=True, slots=True)
class ShadowTarget:
    """Which calls of a workload are copied where: from model A to model B, a fraction, a bound."""

    from_model: str
    to_model: str
    sample: float
    max_in_flight: int = DEFAULT_IN_FLIGHT


@dataclass(frozen=True, slots=True)
class ShadowConfig:
    """The configured shadow targets per workload, and the runtime's refresh interval and shadow timeout."""

    workloads: dict[str, ShadowTarget] = field(default_factory=dict)
    refresh_s: float = 1.0
    timeout_s: float = 120.0


def check_sample(value: object) -> float | None:
    """A sample rate in (0, 1], or None when `value` is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        return None
    return float(value)


def check_in_flight(value: object) -> int | None:
    """A `max_in_flight` from 1 to MAX_IN_FLIGHT, or None when `value` is not one."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_IN_FLIGHT:
        return None
    return value


def _mapping(raw: Any, key_path: str, source: str, example: str, parent: ConfigMapping | None) -> ConfigMapping:
    lines = parent.lines if parent is not None else {}
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        raise ConfigMapping({}, key_path, source, lines).error(
            key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`"
        )
    return data


def _seconds(data: ConfigMapping, key: str, default: float, example: str) -> float:
    raw = data.get(key)
    if raw is None:
        return default
    seconds = positive_duration(raw)
    if seconds is None or seconds > 86_400:
        raise data.error(f"shadow.{key}", f"expected a duration up to 24h, got {raw!r}", f"write e.g. {example}")
    return seconds


def _model(entry: ConfigMapping, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value or len(value) > 128:
        raise entry.error(
            f"{entry.key_path}.{key}",
            f"expected a model name (a `models:` entry), got {value!r}",
            "write e.g. gpt-4o-2024-08-06",
        )
    return value


def _target(entry: ConfigMapping) -> ShadowTarget:
    path = entry.key_path
    from_model, to_model = _model(entry, "from"), _model(entry, "to")
    if from_model == to_model:
        raise entry.error(f"{path}.to", f"shadows {from_model!r} to itself", "name another model as `to`")
    raw_sample = entry.get("sample")
    sample = check_sample(raw_sample)
    if sample is None:
        raise entry.error(f"{path}.sample", f"expected a fraction above 0 and at most 1, got {raw_sample!r}",
                          "write e.g. 0.05 (5% of the calls)")  # fmt: skip
    raw_in_flight = entry.get("max_in_flight", DEFAULT_IN_FLIGHT)
    in_flight = check_in_flight(raw_in_flight)
    if in_flight is None:
        raise entry.error(f"{path}.max_in_flight", f"expected a whole number from 1 to {MAX_IN_FLIGHT}, "
                          f"got {raw_in_flight!r}", "write e.g. 4")  # fmt: skip
    entry.reject_unknown_keys()
    return ShadowTarget(from_model, to_model, sample, in_flight)


def parse_shadow(raw: object, source: str = "rungway.yaml") -> ShadowConfig:
    """Validate `shadow:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "shadow", source, "{workloads: {support: {from: A, to: B, sample: 0.05}}}", None)
    refresh = _seconds(data, "refresh", 1.0, "1s")
    timeout = _seconds(data, "timeout", 120.0, "120s")
    workloads = _mapping(data.get("workloads"), "shadow.workloads", source,
                         "{support: {from: A, to: B, sample: 0.05}}", data)  # fmt: skip
    targets: dict[str, ShadowTarget] = {}
    for name, value in workloads.items():
        entry = _mapping(value, f"shadow.workloads.{name}", source, "{from: A, to: B, sample: 0.05}", workloads)
        targets[str(name)] = _target(entry)
    data.reject_unknown_keys()
    return ShadowConfig(workloads=targets, refresh_s=refresh, timeout_s=timeout)


SHADOW_SECTION = ConfigSection("shadow", parse_shadow)
"""`shadow:` in rungway.yaml."""
