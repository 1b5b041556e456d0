"""Starting, stopping and finding shadow runs: what the API and the upgrade plan (`models/upgrades/`) share.

Blocking (call in a thread). A started or stopped run reaches this server's gateway when its book
reloads (`ShadowRuntime.book.load()`, which the API calls at once) and every replica's within
`shadow.refresh`.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from sqlalchemy import Engine

from rungway.domain.ids import new_id
from rungway.errors import InvalidRequest
from rungway.models.shadow.config import DEFAULT_IN_FLIGHT, check_in_flight, check_sample
from rungway.models.shadow.model import ShadowRun
from rungway.models.shadow.store import insert_run, list_runs, stop_runs

__all__ = ["MAX_DURATION_S", "latest_run", "start_run", "stop_run"]

MAX_DURATION_S = 90 * 86_400.0


def start_run(
    engine: Engine,
    models: Collection[str],
    *,
    workload: str,
    from_model: str,
    to_model: str,
    sample: float,
    ends_at: float,
    actor: str,
    max_in_flight: int = DEFAULT_IN_FLIGHT,
    now: float | None = None,
) -> ShadowRun:
    """Store a new run (the workload's active one stops); 400 naming the field for a bad value.
    `models` are the names B may be (the server's `models:` entries)."""
    now = time.time() if now is None else now
    for field, name in (("from", from_model), ("to", to_model)):
        if name not in models:
            raise InvalidRequest(f"`{field}`: no model {name!r} in `models:`", param=field)
    if from_model == to_model:
        raise InvalidRequest("`to` must be another model than `from`", param="to")
    if check_sample(sample) is None:
        raise InvalidRequest(f"`sample` must be above 0 and at most 1, got {sample!r}", param="sample")
    if check_in_flight(max_in_flight) is None:
        raise InvalidRequest(f"`max_in_flight` must be from 1 to 1000, got {max_in_flight!r}", param="max_in_flight")
    if not now < ends_at <= now + MAX_DURATION_S:
        raise InvalidRequest("a shadow run ends in the future, within 90 days", param="ends_at")
    run = ShadowRun(
        id=new_id("shr_"), workload=workload, from_model=from_model, to_model=to_model, sample=float(sample),
        max_in_flight=max_in_flight, started_at=now, ends_at=ends_at, started_by=actor, source="api",
    )  # fmt: skip
    insert_run(engine, run)
    return run


def stop_run(engine: Engine, workload: str, actor: str, run_id: str | None = None) -> list[str]:
    """Stop the workload's active run (or only `run_id`); the ids stopped."""
    return stop_runs(engine, workload, time.time(), actor, run_id)


def latest_run(engine: Engine, workload: str, from_model: str, to_model: str) -> ShadowRun | None:
    """The workload's newest run from A to B (active or not), e.g. for an upgrade report."""
    for run in list_runs(engine, workload, limit=1000):
        if run.from_model == from_model and run.to_model == to_model:
            return run
    return None
