"""The datasets' use cases: create (import) a version, read versions and their cases, list datasets.

The API, the CLI and `add-from-traces` all go through these functions, so the rules hold however a
version arrives:
- a version is immutable, and the same content is the same version (`created: False`);
- a workload's view of a name is its own dataset, else the shared one; a workload dataset may not take a
  shared dataset's name and a shared dataset may not take a name any workload uses (409);
- only an admin writes a shared dataset; a viewer writes nothing; a key acts in its own workload only
  (another workload's dataset is "not found", exactly like a missing one).
Each function is one transaction and blocking; async callers run it in a thread.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from rungway.domain.ids import new_id
from rungway.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from rungway.evals.actor import Actor
from rungway.evals.datasets.model import (
    SHARED,
    Case,
    DatasetSummary,
    DatasetVersion,
    check_name,
    content_hash,
    scope_of,
)
from rungway.evals.datasets.store import (
    DatasetRow,
    find_dataset,
    insert_dataset,
    insert_version,
    iter_cases,
    latest_version_number,
    lock_name,
    read_cases,
    read_summaries,
    read_version,
    read_versions,
    scopes_named,
    touch_dataset,
    version_by_hash,
)
from rungway.evals.scorers import JsonValue

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "VersionCreated",
    "create_version",
    "export_cases",
    "get_cases",
    "get_version",
    "list_datasets",
    "list_versions",
]

MAX_DESCRIPTION_CHARS = 4_000
MAX_SOURCE_CHARS = 1_000


@dataclass(frozen=True, slots=True)
class VersionCreated:
    """The version a create asked for, and whether it is new (False: the same content was stored before)."""

    version: DatasetVersion
    created: bool


def _not_found(name: str, workload: str | None) -> NotFound:
    where = f"workload {workload!r} or shared" if workload else "the shared datasets"
    return NotFound(f"no dataset named {name!r} in {where}; list them with `rungway datasets list`", param="name")


def _may_write(actor: Actor, workload: str | None, name: str) -> None:
    """Writers: a developer in its own workload; an admin anywhere; a shared dataset: an admin only."""
    actor.require_writer()
    if actor.is_admin:
        return
    if workload is None:
        raise PermissionDenied(
            "Only an admin key creates or changes shared datasets.", code="insufficient_role", param="shared"
        )
    if actor.workload != workload:
        raise _not_found(name, actor.workload)


def _resolve(conn: Connection, workload: str | None, name: str) -> DatasetRow:
    """A workload's view of a name: its own dataset, else the shared one."""
    check_name(name)
    found = find_dataset(conn, scope_of(workload), name)
    if found is None and workload is not None:
        found = find_dataset(conn, SHARED, name)
    if found is None:
        raise _not_found(name, workload)
    return found


def _bounded(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise InvalidRequest(f"{field} must be at most {limit:,} characters without NUL", param=field)
    return value


def create_version(
    engine: Engine,
    *,
    workload: str | None,
    name: str,
    cases: Sequence[Case],
    default_assertions: Sequence[Mapping[str, JsonValue]] = (),
    description: str = "",
    source: str = "api",
    actor: Actor,
    now: float | None = None,
) -> VersionCreated:
    """A new version of `name` in `workload` (None: shared) holding `cases` (checked with `build_case` and
    `check_unique_keys` by the caller), or the existing version with the same content."""
    check_name(name)
    _may_write(actor, workload, name)
    if not cases:
        raise InvalidRequest("a dataset version needs at least one case", param="cases")
    description = _bounded(description, "description", MAX_DESCRIPTION_CHARS)
    source = _bounded(source, "source", MAX_SOURCE_CHARS)
    when = time.time() if now is None else now
    draft = DatasetVersion(
        id=new_id("dsv_"),
        name=name,
        workload=workload,
        version=0,
        content_hash=content_hash(cases, default_assertions),
        case_count=len(cases),
        default_assertions=tuple(default_assertions),
        description=description,
        source=source,
        author=actor.name,
        created_at=when,
    )
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                return _create(conn, draft, cases, actor)
        except IntegrityError:
            if attempt == 2:  # a concurrent writer made the same dataset or version: the retry reads what it made
                raise
    raise AssertionError("unreachable")


def _create(conn: Connection, draft: DatasetVersion, cases: Sequence[Case], actor: Actor) -> VersionCreated:
    lock_name(conn, draft.name)
    scope = scope_of(draft.workload)
    clash = [s for s in scopes_named(conn, draft.name) if s != scope and SHARED in (s, scope)]
    if clash:
        problem = (
            "a workload already has a dataset of that name; a shared dataset needs a name no workload uses"
            if scope == SHARED
            else "it is a shared dataset's name; pick another name for the workload's own dataset"
        )
        raise Conflict(f"dataset {draft.name!r}: {problem}", param="name", code="dataset_name_taken")
    dataset = find_dataset(conn, scope, draft.name) or insert_dataset(conn, new_id("ds_"), scope, draft.name,
                                                                      draft.created_at)  # fmt: skip
    existing = version_by_hash(conn, dataset, draft.content_hash)
    if existing is not None:
        return VersionCreated(existing, created=False)
    number = latest_version_number(conn, dataset.id) + 1
    version = dataclasses.replace(draft, version=number)
    insert_version(conn, dataset, version, cases, actor.key_id)
    touch_dataset(conn, dataset.id, draft.created_at)
    return VersionCreated(version, created=True)


def get_version(engine: Engine, *, workload: str | None, name: str, version: int | None = None) -> DatasetVersion:
    """The numbered version (the newest when None), as `workload` sees `name`."""
    with engine.connect() as conn:
        found = read_version(conn, _resolve(conn, workload, name), version)
    if found is None:
        raise NotFound(f"dataset {name!r} has no version {version}", param="version")
    return found


def get_cases(engine: Engine, version: DatasetVersion, *, offset: int = 0, limit: int = 100) -> list[Case]:
    """A page of the version's cases (the version as `get_version` returned it, so already scoped)."""
    with engine.connect() as conn:
        return read_cases(conn, version.id, max(0, offset), max(1, min(limit, 1000)))


def export_cases(engine: Engine, version: DatasetVersion) -> Iterator[Case]:
    """Every case of the version, read a page at a time."""
    with engine.connect() as conn:
        yield from iter_cases(conn, version.id)


def list_datasets(engine: Engine, *, workload: str | None, everything: bool = False) -> list[DatasetSummary]:
    """The datasets `workload` sees (its own and the shared ones; None: the shared ones); `everything`: all (admins)."""
    scopes = None if everything else [*([scope_of(workload)] if workload else []), SHARED]
    with engine.connect() as conn:
        return read_summaries(conn, scopes)


def list_versions(engine: Engine, *, workload: str | None, name: str, limit: int = 100) -> list[DatasetVersion]:
    """Newest first, at most `limit`."""
    with engine.connect() as conn:
        return read_versions(conn, _resolve(conn, workload, name), max(1, min(limit, 1000)))
