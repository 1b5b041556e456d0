"""What a pin and a change to it are, as the store, the API and the CLI share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["Pin", "PinChange", "iso"]


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Pin:
    """Workload `workload` calls to `alias` go to `snapshot`; `source` is `config` (a seed) or `store`."""

    workload: str
    alias: str
    snapshot: str
    source: str
    updated_at: float | None = None
    updated_by: str | None = None
    reason: str | None = None
    report_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "alias": self.alias,
            "snapshot": self.snapshot,
            "source": self.source,
            "updated_at": iso(self.updated_at),
            "updated_by": self.updated_by,
            "reason": self.reason,
            "report_id": self.report_id,
        }


@dataclass(frozen=True, slots=True)
class PinChange:
    """One move of a pin: `kind` is `set`, `apply` (by an upgrade report) or `rollback`."""

    id: str
    workload: str
    alias: str
    kind: str
    from_snapshot: str | None
    to_snapshot: str | None
    actor: str
    reason: str
    report_id: str | None
    changed_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workload": self.workload,
            "alias": self.alias,
            "kind": self.kind,
            "from": self.from_snapshot,
            "to": self.to_snapshot,
            "actor": self.actor,
            "reason": self.reason,
            "report_id": self.report_id,
            "changed_at": iso(self.changed_at),
        }
