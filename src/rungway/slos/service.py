"""The SLO use cases shared by the API, the pages, the CLI's server side and the evaluation loop.

Reads are scoped by the caller's workload (`workload` None is the admin's view of every workload); an SLO
of another workload is the same `NotFound` as a missing one. SLOs declared in rungway.yaml are synced into
the store at start (`sync_config`, source `config`) and cannot be changed or deleted through the API.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.slos import store
from rungway.slos.burn import DAY, SloStatus
from rungway.slos.config import SloConfig
from rungway.slos.measure import evaluate
from rungway.slos.model import Slo, SloInvalid
from rungway.slos.store import Definition, Snapshot

__all__ = [
    "CONFIG_AUTHOR",
    "Measured",
    "delete_slo",
    "get_slo",
    "history",
    "invalid",
    "list_slos",
    "put_slo",
    "sync_config",
]

CONFIG_AUTHOR = "rungway.yaml"
MAX_SLOS_PER_WORKLOAD = 100


@dataclass(frozen=True, slots=True)
class Measured:
    """A stored SLO with its status now, and whether it is measured (enough valid events over the window)."""

    definition: Definition
    status: SloStatus
    measured: bool

    def to_json(self) -> dict[str, object]:
        return {**self.definition.to_json(), "status": self.status.to_json(), "measured": self.measured}


def invalid(exc: SloInvalid, prefix: str = "") -> InvalidRequest:
    """The API's error for a bad field."""
    return InvalidRequest(f"{exc.problem} ({exc.fix})", param=f"{prefix}{exc.field}")  # the answer names the param


def sync_config(engine: Engine, config: SloConfig) -> None:
    """Store the configured SLOs (replacing an API SLO of the same name) and drop configured ones no longer named."""
    now = time.time()
    for found in store.read_definitions(engine, None):
        key = (found.slo.workload, found.slo.name)
        if found.source == "config" and key not in config.slos:
            store.delete_definition(engine, *key)
    for slo in config.slos.values():
        store.put_definition(engine, slo, "config", CONFIG_AUTHOR, now)


def _measure(engine: Engine, definition: Definition, min_calls: int, now: float) -> Measured:
    status = evaluate(engine, definition, now)
    return Measured(definition, status, status.window.total >= min_calls)


def list_slos(
    engine: Engine,
    workload: str | None,
    min_calls: int,
    now: float | None = None,
    recent: Mapping[str, SloStatus] | None = None,
    fresh_s: float = 0.0,
) -> list[Measured]:
    """Every SLO in view, measured now; or, for an SLO the evaluation loop measured at most `fresh_s` ago
    (`recent`: its statuses by series), as the loop last measured it (a list of many SLOs stays cheap)."""
    at = time.time() if now is None else now
    out = []
    for d in store.read_definitions(engine, workload):
        known = (recent or {}).get(d.series)
        if known is not None and at - known.at <= fresh_s:
            out.append(Measured(d, known, known.window.total >= min_calls))
        else:
            out.append(_measure(engine, d, min_calls, at))
    return out


def _one(engine: Engine, workload: str | None, name: str) -> Definition:
    found = store.read_definitions(engine, workload, name)
    if len(found) != 1:  # none, or the admin's view holding the name in several workloads
        where = f" in workload {workload!r}" if workload else " (an admin names the workload: ?workload=)"
        raise NotFound(f"no SLO {name!r}{where}", param="name")
    return found[0]


def get_slo(engine: Engine, workload: str | None, name: str, min_calls: int) -> Measured:
    return _measure(engine, _one(engine, workload, name), min_calls, time.time())


def history(
    engine: Engine, workload: str | None, name: str, days: float, limit: int
) -> tuple[Definition, list[Snapshot]]:
    definition = _one(engine, workload, name)
    since = time.time() - days * DAY
    return definition, store.read_snapshots(engine, definition.slo.workload, name, since, limit)


def put_slo(engine: Engine, config: SloConfig, slo: Slo, by: str) -> Definition:
    """Create or replace an SLO made through the API (not one declared in rungway.yaml)."""
    if (slo.workload, slo.name) in config.slos:
        raise Conflict(f"SLO {slo.name!r} of workload {slo.workload!r} is declared in rungway.yaml (`slos:`): change "
                       "it there", param="name")  # fmt: skip
    existing = store.read_definitions(engine, slo.workload)
    if len(existing) >= MAX_SLOS_PER_WORKLOAD and all(d.slo.name != slo.name for d in existing):
        raise InvalidRequest(f"a workload has at most {MAX_SLOS_PER_WORKLOAD} SLOs: delete one first", param="name")
    return store.put_definition(engine, slo, "api", by, time.time())


def delete_slo(engine: Engine, config: SloConfig, workload: str | None, name: str) -> bool:
    definition = _one(engine, workload, name)
    key = (definition.slo.workload, name)
    if key in config.slos:
        raise Conflict(f"SLO {name!r} is declared in rungway.yaml (`slos:`): remove it there", param="name")
    return store.delete_definition(engine, *key)
