"""The `pinning:` section of rungway.yaml: each workload's pins, model policy and upgrade gate.

pinning:
  refresh: 10s                                 # how often each server reloads pins from the store
  workloads:
    support:
      pins: {gpt-4o: gpt-4o-2024-08-06}        # seeds; a pin set through the API or CLI wins
      approved_only: true                      # only approved (or deprecated) catalogue models
      floating_aliases: resolve                # resolve (pin, else the alias's snapshot) | refuse
      upgrade_gate: {max_regressions: 0, max_cost_increase: 0.2, max_latency_increase: 0.5}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rungway.domain.timespec import TimeSpecError, parse_duration
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["PINNING_SECTION", "PinningConfig", "UpgradeGate", "WorkloadPolicy", "parse_pinning"]

FloatingPolicy = Literal["resolve", "refuse"]
MAX_NAME = 128


@dataclass(frozen=True, slots=True)
class UpgradeGate:
    """What an upgrade report must show before `upgrade apply` may switch a pin.

    `max_regressions`: metrics whose paired test says significantly worse; `max_cost_increase` and
    `max_latency_increase`: the largest relative rise of the mean cost and latency per case (0.2 = +20%;
    None: not gated)."""

    max_regressions: int = 0
    max_cost_increase: float | None = None
    max_latency_increase: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "max_regressions": self.max_regressions,
            "max_cost_increase": self.max_cost_increase,
            "max_latency_increase": self.max_latency_increase,
        }


@dataclass(frozen=True, slots=True)
class WorkloadPolicy:
    """One workload's seeded pins and model policy."""

    pins: dict[str, str] = field(default_factory=dict)
    approved_only: bool = False
    floating_aliases: FloatingPolicy = "resolve"
    upgrade_gate: UpgradeGate = field(default_factory=UpgradeGate)


DEFAULT_POLICY = WorkloadPolicy()


@dataclass(frozen=True, slots=True)
class PinningConfig:
    """Every workload's policy (an unlisted workload gets the default) and the book's refresh interval."""

    workloads: dict[str, WorkloadPolicy] = field(default_factory=dict)
    refresh_s: float = 10.0

    def policy_for(self, workload: str | None) -> WorkloadPolicy:
        if workload is None:
            return DEFAULT_POLICY
        return self.workloads.get(workload, DEFAULT_POLICY)


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


def _name(data: ConfigMapping, key_path: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME or any(c.isspace() for c in value):
        raise data.error(key_path, f"expected a model name, got {value!r}", "write e.g. gpt-4o-2024-08-06")
    return value


def _fraction(data: ConfigMapping, key_path: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise data.error(key_path, f"expected a fraction from 0 to 100, got {value!r}", "write e.g. 0.2 (+20%)")
    return float(value)


def _gate(data: ConfigMapping) -> UpgradeGate:
    path = data.key_path
    regressions = data.get("max_regressions", 0)
    if isinstance(regressions, bool) or not isinstance(regressions, int) or not 0 <= regressions <= 1000:
        raise data.error(f"{path}.max_regressions", f"expected a whole number, got {regressions!r}", "write e.g. 0")
    return UpgradeGate(
        max_regressions=regressions,
        max_cost_increase=_fraction(data, f"{path}.max_cost_increase", data.get("max_cost_increase")),
        max_latency_increase=_fraction(data, f"{path}.max_latency_increase", data.get("max_latency_increase")),
    )


def _policy(data: ConfigMapping, source: str) -> WorkloadPolicy:
    path = data.key_path
    pins_raw = _mapping(data.get("pins"), f"{path}.pins", source, "{gpt-4o: gpt-4o-2024-08-06}", data)
    pins = {
        _name(pins_raw, f"{path}.pins", str(k)): _name(pins_raw, f"{path}.pins.{k}", v) for k, v in pins_raw.items()
    }
    approved_only = data.get("approved_only", False)
    if not isinstance(approved_only, bool):
        raise data.error(f"{path}.approved_only", f"expected true or false, got {approved_only!r}", "write e.g. true")
    floating = data.get("floating_aliases", "resolve")
    if floating not in ("resolve", "refuse"):
        raise data.error(
            f"{path}.floating_aliases",
            f"expected resolve or refuse, got {floating!r}",
            "write e.g. resolve (to the pin, else the alias's snapshot), or refuse",
        )
    gate = _gate(_mapping(data.get("upgrade_gate"), f"{path}.upgrade_gate", source, "{max_regressions: 0}", data))
    return WorkloadPolicy(pins=pins, approved_only=approved_only, floating_aliases=floating, upgrade_gate=gate)


def parse_pinning(raw: object, source: str = "rungway.yaml") -> PinningConfig:
    """Validate `pinning:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "pinning", source, "{workloads: {support: {pins: {gpt-4o: gpt-4o-2024-08-06}}}}", None)
    refresh = data.get("refresh", "10s")
    if isinstance(refresh, bool):
        refresh_s = -1.0
    elif isinstance(refresh, int | float):
        refresh_s = float(refresh)  # seconds
    else:
        try:
            refresh_s = parse_duration(str(refresh))
        except TimeSpecError:
            refresh_s = -1.0
    if not 0.05 <= refresh_s <= 3600:
        raise data.error("pinning.refresh", f"expected a duration from 0.05s to 1h, got {refresh!r}", "write e.g. 10s")
    example = "{support: {pins: {gpt-4o: gpt-4o-2024-08-06}}}"
    workloads = _mapping(data.get("workloads"), "pinning.workloads", source, example, data)
    policies: dict[str, WorkloadPolicy] = {}
    for name, value in workloads.items():
        entry = _mapping(value, f"pinning.workloads.{name}", source, "{pins: {gpt-4o: gpt-4o-2024-08-06}}", workloads)
        policies[str(name)] = _policy(entry, source)
    data.reject_unknown_keys()
    return PinningConfig(workloads=policies, refresh_s=refresh_s)


PINNING_SECTION = ConfigSection("pinning", parse_pinning)
"""`pinning:` in rungway.yaml."""
