"""The planner's `ModelResolver`: a requested name, for one workload, becomes the model calls go to.

    pinned alias            -> the workload's pin                 (pinned_by "pin")
    floating alias, no pin  -> resolve: the alias's snapshot       (floating, pinned_by None)
                               refuse:  400 naming the snapshots to use
    dated snapshot          -> itself                              (pinned_by "snapshot")
    approved_only           -> 403 `model_not_approved` unless the catalogue approves (or deprecates) it

With no catalogue, a name is floating only when it is not a dated snapshot and some workload pins it.
"""

from __future__ import annotations

from functools import lru_cache

from rungway.domain.model_ids import is_dated_snapshot
from rungway.errors import InvalidRequest, PermissionDenied
from rungway.models.pins.book import PinBook
from rungway.models.pins.config import PinningConfig
from rungway.models.pins.ports import APPROVED_STATUSES, CatalogueLookup
from rungway.models.ports import Resolution

__all__ = ["PinResolver"]

SHOWN = 5  # alternatives named in a refusal
_dated = lru_cache(maxsize=4096)(is_dated_snapshot)  # per call; bounded, as callers choose the names


class PinResolver:
    """Pins first, then the workload's policy; in-memory lookups only."""

    def __init__(self, catalogue: CatalogueLookup | None, pins: PinBook, policies: PinningConfig) -> None:
        self.catalogue = catalogue
        self.pins = pins
        self.policies = policies

    def resolve(self, workload: str | None, requested: str) -> Resolution:
        policy = self.policies.policy_for(workload)
        pin = self.pins.pin(workload, requested)
        entry = self.catalogue.entry(requested) if self.catalogue is not None else None
        if entry is not None:
            floating = entry.floating
        else:
            floating = not _dated(requested) and (pin is not None or self.pins.has_pins_for(requested))
        if pin is not None:
            resolution = Resolution(requested, pin, pinned_by="pin", floating=floating)
        elif floating:
            if policy.floating_aliases == "refuse":
                raise InvalidRequest(
                    self._refusal(requested, entry.alias_of if entry else None),
                    code="floating_model_refused",
                    param="model",
                )
            target = entry.alias_of if entry is not None and entry.alias_of else requested
            resolution = Resolution(requested, target, pinned_by=None, floating=True)
        else:
            resolution = Resolution(requested, requested, pinned_by="snapshot" if _dated(requested) else None)
        if policy.approved_only:
            self._admit(workload, resolution.model)
        return resolution

    def _snapshots_of(self, alias: str, current: str | None) -> list[str]:
        names = [current] if current else []
        stem = alias.removesuffix("-latest").removesuffix("-preview")
        if self.catalogue is not None:
            names += [
                e.name
                for e in self.catalogue.entries()
                if not e.floating and e.name.startswith(stem) and e.status in APPROVED_STATUSES
            ]
        return list(dict.fromkeys(names))[:SHOWN]

    def _refusal(self, alias: str, current: str | None) -> str:
        snapshots = self._snapshots_of(alias, current)
        use = f" Use a dated snapshot, e.g. {', '.join(snapshots)}" if snapshots else " Use a dated snapshot"
        return (
            f"The model `{alias}` is a floating alias, which this workload refuses (pinning.floating_aliases: "
            f"refuse).{use}, or pin the alias: rungway models pins set {alias} SNAPSHOT."
        )

    def _admit(self, workload: str | None, model: str) -> None:
        if self.catalogue is None:
            return  # no catalogue installed: nothing says what is approved
        entry = self.catalogue.entry(model)
        if entry is not None and entry.status in APPROVED_STATUSES:
            return
        approved = [e.name for e in self.catalogue.entries() if e.status == "approved" and not e.floating]
        status = f"is {entry.status}" if entry is not None else "is not in the catalogue"
        alternatives = f" Approved models: {', '.join(approved[:SHOWN])}." if approved else ""
        raise PermissionDenied(
            f"The model `{model}` {status}; workload {workload!r} may use approved models only.{alternatives}",
            code="model_not_approved",
        )
