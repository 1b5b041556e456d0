"""Pin use cases shared by the API, the dashboard and `upgrade apply`: read, set, roll back, each
followed by a reload of this server's `PinBook` so the change serves here at once (others within
`pinning.refresh`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rungway.errors import InvalidRequest
from rungway.gateway.slots import StateKey
from rungway.models.pins.book import PinBook
from rungway.models.pins.config import PinningConfig
from rungway.models.pins.model import Pin, PinChange
from rungway.models.pins.store import PinStore

__all__ = ["MODEL_NAME", "PINS", "PinService", "check_model_name"]

MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$"
_NAME = re.compile(MODEL_NAME)


def check_model_name(value: str, param: str) -> str:
    if not _NAME.fullmatch(value):
        raise InvalidRequest(
            f"{param} {value[:130]!r} is not a model name: letters, digits and ._:@/- , at most 128", param=param
        )
    return value


@dataclass(frozen=True, slots=True)
class PinService:
    """The store, the in-memory book and the configuration, held on the server's state (`PINS`)."""

    store: PinStore
    book: PinBook
    config: PinningConfig

    def pins(self, workload: str | None) -> list[Pin]:
        return self.store.pins(workload)

    def set_pin(
        self,
        workload: str,
        alias: str,
        snapshot: str,
        actor: str,
        reason: str,
        report_id: str | None = None,
        kind: str = "set",
    ) -> PinChange:
        check_model_name(alias, "alias")
        check_model_name(snapshot, "snapshot")
        change = self.store.set_pin(workload, alias, snapshot, actor, reason, report_id, kind=kind)
        self.book.load()
        return change

    def rollback(self, workload: str, alias: str, actor: str, reason: str) -> PinChange:
        change = self.store.rollback(workload, alias, actor, reason)
        self.book.load()
        return change

    def history(self, workload: str | None, alias: str | None, limit: int) -> list[PinChange]:
        return self.store.history(workload, alias, limit)


PINS = StateKey[PinService]("models.pins")
"""The server's pin service (set by `install_models`)."""
