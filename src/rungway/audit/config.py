"""The `audit:` section of rungway.yaml: what is captured and how often the chain is checkpointed.

    audit:
      capture: true              # record changes made through /api and the dashboard's forms, and sign-ins
      checkpoint_every: 1000     # a checkpoint after this many new records (1 .. 1000000)
      checkpoint_minutes: 10     # or after this many minutes, when records were added since the last (0.1 .. 1440)
      max_json_bytes: 16384      # a before/after larger than this is kept as its size only (1024 .. 1048576)
      retention_days: 0          # erase records' content (request, before, after) past this age; 0 keeps it
      workload_retention_days:   # per workload, in place of retention_days (0: this workload's is kept)
        claims-bot: 2555
      retention_check_minutes: 60  # how often a server erases what passed its retention (1 .. 10080)

Retention erases content, never records: an erased record keeps its digests, so the chain still verifies. A legal
hold on a workload (`rungway audit hold`, or `*` for every record) stops erasure until it is released.

The signing key is not configuration: it comes from the environment (RUNGWAY_AUDIT_SIGNING_KEY).
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["AUDIT_SECTION", "AuditSettings", "parse_audit"]


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """The audit trail's settings, defaults when the section is absent."""

    capture: bool = True
    checkpoint_every: int = 1000
    checkpoint_minutes: float = 10.0
    max_json_bytes: int = 16_384
    retention_days: float = 0.0  # 0: content kept
    workload_retention_days: tuple[tuple[str, float], ...] = ()
    retention_check_minutes: float = 60.0

    @property
    def retains(self) -> bool:
        """Whether any record can ever pass its retention."""
        return self.retention_days > 0 or any(days > 0 for _, days in self.workload_retention_days)


def _whole(data: ConfigMapping, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise data.error(f"audit.{key}", f"expected a whole number from {low} to {high}, got {value!r}",
                         f"write e.g. {default}")  # fmt: skip
    return value


def parse_audit(raw: object, source: str = "rungway.yaml") -> AuditSettings:
    """Validate `audit:`; every error names the file, line, key path and the fix."""
    if raw is None:
        return AuditSettings()
    data = tracked(raw, "audit", source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, "audit", source, {}).error("audit", problem, "write e.g. `{checkpoint_every: 1000}`")
    capture = data.get("capture", True)
    if not isinstance(capture, bool):
        raise data.error("audit.capture", f"expected true or false, got {capture!r}", "write e.g. true")
    every = _whole(data, "checkpoint_every", 1000, 1, 1_000_000)
    minutes = data.get("checkpoint_minutes", 10.0)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0.1 <= minutes <= 1440:
        raise data.error("audit.checkpoint_minutes", f"expected minutes from 0.1 to 1440, got {minutes!r}",
                         "write e.g. 10")  # fmt: skip
    limit = _whole(data, "max_json_bytes", 16_384, 1024, 1_048_576)
    days = _days(data, "retention_days", data.get("retention_days", 0))
    per_workload = data.get("workload_retention_days")
    if per_workload is None:
        per_workload = ConfigMapping({}, "audit.workload_retention_days", source)
    if not isinstance(per_workload, ConfigMapping):
        raise data.error("audit.workload_retention_days", f"expected a mapping, got {type(per_workload).__name__}",
                         "write e.g. `{claims-bot: 2555}`")  # fmt: skip
    workloads = tuple((str(name), _days(per_workload, f"workload_retention_days.{name}", value))
                      for name, value in per_workload.items())  # fmt: skip
    check = data.get("retention_check_minutes", 60)
    if isinstance(check, bool) or not isinstance(check, int | float) or not 1 <= check <= 10_080:
        raise data.error("audit.retention_check_minutes", f"expected minutes from 1 to 10080, got {check!r}",
                         "write e.g. 60")  # fmt: skip
    data.reject_unknown_keys()
    return AuditSettings(capture, every, float(minutes), limit, days, workloads, float(check))


def _days(data: ConfigMapping, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 36_500:
        raise data.error(f"audit.{key}", f"expected days from 0 (keep) to 36500, got {value!r}", "write e.g. 365")
    return float(value)


AUDIT_SECTION = ConfigSection("audit", parse_audit)
"""`audit:` in rungway.yaml."""
