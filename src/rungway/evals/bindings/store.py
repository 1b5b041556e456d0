"""The `eval_bindings` table (migration e0005) and the reads the label guard makes of `eval_runs`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Float, String, Table, UniqueConstraint, delete, insert, select

from rungway.evals.bindings.model import Binding
from rungway.evals.runs.store import eval_runs
from rungway.store.schema import metadata

__all__ = ["best_runs", "delete_binding", "eval_bindings", "find_binding", "insert_binding", "read_bindings"]

eval_bindings = Table(
    "eval_bindings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("prompt", String(128), nullable=False),
    Column("dataset", String(128), nullable=False),
    Column("requirement", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(256)),
    UniqueConstraint("workload", "prompt", "dataset", name="uq_eval_bindings_target"),
)


def _binding(row: Any) -> Binding:
    return Binding(row.id, row.workload, row.prompt, row.dataset, row.requirement, row.created_at, row.created_by)


def read_bindings(conn: Connection, workload: str | None, prompt: str | None = None) -> list[Binding]:
    """A workload's bindings (every workload's when None), of one prompt when given, by prompt and dataset."""
    query = select(eval_bindings).order_by(eval_bindings.c.workload, eval_bindings.c.prompt, eval_bindings.c.dataset)
    if workload is not None:
        query = query.where(eval_bindings.c.workload == workload)
    if prompt is not None:
        query = query.where(eval_bindings.c.prompt == prompt)
    return [_binding(row) for row in conn.execute(query.limit(10_000))]


def find_binding(conn: Connection, workload: str, prompt: str, dataset: str) -> Binding | None:
    c = eval_bindings.c
    row = conn.execute(
        select(eval_bindings).where(c.workload == workload, c.prompt == prompt, c.dataset == dataset)
    ).first()
    return None if row is None else _binding(row)


def insert_binding(conn: Connection, binding: Binding) -> None:
    conn.execute(insert(eval_bindings).values(**binding.to_json()))


def delete_binding(conn: Connection, workload: str, prompt: str, dataset: str) -> bool:
    c = eval_bindings.c
    done = conn.execute(delete(eval_bindings).where(c.workload == workload, c.prompt == prompt, c.dataset == dataset))
    return bool(done.rowcount)


def best_runs(
    conn: Connection, workload: str, prompt: str, version: int, dataset: str
) -> Sequence[tuple[str, float | None, float | None]]:
    """The finished runs of that exact prompt version on the dataset: (id, pass_rate, pass_rate_low), best first."""
    c = eval_runs.c
    query = (
        select(c.id, c.pass_rate, c.pass_rate_low)
        .where(
            c.workload == workload,
            c.prompt == prompt,
            c.prompt_version == version,
            c.dataset == dataset,
            c.status == "finished",
        )
        .order_by(c.pass_rate.desc(), c.id)
        .limit(20)
    )
    return [(row.id, row.pass_rate, row.pass_rate_low) for row in conn.execute(query)]
