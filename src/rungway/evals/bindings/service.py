"""Bindings' use cases (bind, unbind, list) and the label guard that enforces `require_eval_pass`.

Scoping is the prompts' and datasets': a binding belongs to one workload; a key that is not admin binds, unbinds
and lists its own workload's bindings only, and the dataset must be one the workload sees (its own or a shared
one), else it is "not found". Each function is blocking; async callers run it in a thread.
"""

from __future__ import annotations

import re
import time

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from rungway.domain.ids import new_id
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.evals.actor import Actor
from rungway.evals.bindings.model import Binding, Requirement
from rungway.evals.bindings.store import best_runs, delete_binding, find_binding, insert_binding, read_bindings
from rungway.evals.config import EvalsConfig
from rungway.evals.datasets.service import get_version
from rungway.prompts.hooks import LabelMoveCheck

__all__ = ["DEFAULT_REQUIREMENT", "bind", "bindings_of", "check_label_move", "unbind"]

DEFAULT_REQUIREMENT = "pass_rate>=1"
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


def bind(engine: Engine, actor: Actor, workload: str, prompt: str, dataset: str, requirement: str | None) -> Binding:
    """Bind `dataset` to the workload's `prompt` (or change the requirement of an existing binding)."""
    actor.require_writer()
    wanted = str(Requirement.parse(requirement or DEFAULT_REQUIREMENT))
    get_version(engine, workload=workload, name=dataset)  # 404 unless the workload sees a version of it
    made = Binding(new_id("ebd_"), workload, prompt, dataset, wanted, time.time(), actor.name)
    try:
        with engine.begin() as conn:
            existing = find_binding(conn, workload, prompt, dataset)
            if existing is not None:
                delete_binding(conn, workload, prompt, dataset)
                made = Binding(existing.id, workload, prompt, dataset, wanted, made.created_at, actor.name)
            insert_binding(conn, made)
    except IntegrityError:
        raise Conflict(f"dataset {dataset!r} was bound to {prompt!r} meanwhile; list the bindings and retry") from None
    return made


def unbind(engine: Engine, actor: Actor, workload: str, prompt: str, dataset: str) -> None:
    actor.require_writer()
    with engine.begin() as conn:
        if not delete_binding(conn, workload, prompt, dataset):
            raise NotFound(
                f"dataset {dataset!r} is not bound to prompt {prompt!r} in workload {workload!r}; "
                "list them with `rungway eval bindings`",
                param="dataset",
            )


def bindings_of(engine: Engine, workload: str | None, prompt: str | None = None) -> list[Binding]:
    with engine.connect() as conn:
        return read_bindings(conn, workload, prompt)


def check_label_move(config: EvalsConfig, conn: Connection, move: LabelMoveCheck) -> None:
    """Refuse a protected label move to a version without a finished passing run on every bound dataset."""
    if not move.protected or move.workload is None or not config.requires_pass(move.workload):
        return
    ref = f"{move.name}@{move.version}"
    bound = read_bindings(conn, move.workload, move.name)
    if not bound:
        raise Conflict(
            f"workload {move.workload!r} requires a passing eval run before {ref} moves to the protected label "
            f"{move.label!r}, and no dataset is bound to prompt {move.name!r}. Fix: `rungway eval bind --workload "
            f"{move.workload} --prompt {move.name} --dataset DATASET --require 'pass_rate>=0.9'`, then run it: "
            f"`rungway eval run --workload {move.workload} --dataset DATASET --prompt {ref}`",
            param="version",
            code="eval_required",
        )
    missing: list[str] = []
    first = ""
    for binding in bound:
        need = Requirement.parse(binding.requirement)
        runs = best_runs(conn, move.workload, move.name, move.version, binding.dataset)
        if any(need.met_by(rate, low) for _, rate, low in runs):
            continue
        best = f"best run {runs[0][0]}: pass_rate {runs[0][1] or 0:.3f}" if runs else "no finished run"
        first = first or binding.dataset
        missing.append(f"{binding.dataset} ({need}; {best})")
    if missing:
        raise Conflict(
            f"{ref} cannot move to the protected label {move.label!r}: workload {move.workload!r} requires a "
            f"finished, passing eval run of that exact version on each bound dataset; not met: "
            f"{', '.join(missing)}. Fix: wait for the server's run of {ref} to finish (GET /api/eval-runs?prompt="
            f"{move.name}), or run it: `rungway eval run --workload {move.workload} --dataset {first} "
            f"--prompt {ref}`; a failing version needs a new version",
            param="version",
            code="eval_required",
        )


def check_name(value: str, field: str) -> str:
    if not re.fullmatch(NAME, value):
        raise InvalidRequest(f"{field} {value[:80]!r} is not a valid name: letters, digits, '.', '_', '-'", param=field)
    return value
