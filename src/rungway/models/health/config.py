"""The `failover:` section of rungway.yaml: the circuit breaker's settings and whether drills may fault
any deployment.

    failover:
      breaker: {window: 30s, min_calls: 10, failure_rate: 0.5, cooldown: 30s, probes: 1, slow_call: 30s}
      drills: {fault_switches: false}   # true: drills may fault non-simulator deployments (test environments)

The breaker of a deployment opens when, over the last `window`, at least `min_calls` tries ended and
`failure_rate` of them failed (errors, timeouts, 429s and calls slower than `slow_call`), or the last
`min_calls` tries all failed; it stays open for `cooldown`, then admits `probes` probe calls: all succeed
and it closes, one fails and it reopens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.domain.timespec import positive_duration
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["FAILOVER_SECTION", "BreakerSettings", "DrillSettings", "FailoverConfig", "parse_failover"]


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """When a deployment's circuit opens, how long it stays open and how it is probed."""

    window_s: float = 30.0
    min_calls: int = 10
    failure_rate: float = 0.5
    cooldown_s: float = 30.0
    probes: int = 1
    slow_call_s: float = 30.0


@dataclass(frozen=True, slots=True)
class DrillSettings:
    """`fault_switches`: drills may fault any deployment (not only the simulator's), for test environments."""

    fault_switches: bool = False


@dataclass(frozen=True, slots=True)
class FailoverConfig:
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    drills: DrillSettings = field(default_factory=DrillSettings)


def _mapping(raw: Any, key_path: str, source: str, example: str, parent: ConfigMapping | None = None) -> ConfigMapping:
    lines = parent.lines if parent is not None else {}
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        raise ConfigMapping({}, key_path, source, lines).error(
            key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`"
        )
    return data


def _seconds(data: ConfigMapping, key: str, default: float, largest: float) -> float:
    raw = data.get(key)
    if raw is None:
        return default
    value = positive_duration(raw)
    if value is None or value > largest:
        raise data.error(
            f"{data.key_path}.{key}",
            f"expected a duration above 0 and up to {largest:g}s, got {raw!r}",
            "write e.g. 30s",
        )
    return value


def _int(data: ConfigMapping, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise data.error(
            f"{data.key_path}.{key}",
            f"expected a whole number from {low} to {high}, got {value!r}",
            f"write e.g. {default}",
        )
    return value


def _breaker(data: ConfigMapping) -> BreakerSettings:
    rate = data.get("failure_rate", 0.5)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1:
        raise data.error(
            f"{data.key_path}.failure_rate", f"expected a fraction above 0 and up to 1, got {rate!r}", "write e.g. 0.5"
        )
    settings = BreakerSettings(
        window_s=_seconds(data, "window", 30.0, 3600),
        min_calls=_int(data, "min_calls", 10, 1, 100_000),
        failure_rate=float(rate),
        cooldown_s=_seconds(data, "cooldown", 30.0, 3600),
        probes=_int(data, "probes", 1, 1, 100),
        slow_call_s=_seconds(data, "slow_call", 30.0, 3600),
    )
    data.reject_unknown_keys()
    return settings


def parse_failover(raw: object, source: str = "rungway.yaml") -> FailoverConfig:
    """Validate `failover:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "failover", source, "{breaker: {failure_rate: 0.5}}")
    breaker = _breaker(_mapping(data.get("breaker"), "failover.breaker", source, "{window: 30s, min_calls: 10}", data))
    drills_data = _mapping(data.get("drills"), "failover.drills", source, "{fault_switches: false}", data)
    switches = drills_data.get("fault_switches", False)
    if not isinstance(switches, bool):
        raise drills_data.error(
            "failover.drills.fault_switches", f"expected true or false, got {switches!r}", "write e.g. false"
        )
    drills_data.reject_unknown_keys()
    data.reject_unknown_keys()
    return FailoverConfig(breaker=breaker, drills=DrillSettings(fault_switches=switches))


FAILOVER_SECTION = ConfigSection("failover", parse_failover)
"""`failover:` in rungway.yaml."""
