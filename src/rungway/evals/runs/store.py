"""Eval runs and their per-case results in the store (tables `eval_runs`, `eval_results`; migration e0003).

A run row is written when the run starts and completed with its aggregates when it finishes; results
arrive in batches while it runs, keyed by (run, case key, repeat), so a batch sent twice (a retried POST)
stores each result once. Aggregates are folded from the results read back in pages (never all at once),
with each call's cost taken from the request log when the gateway has recorded it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from rungway.evals.runs.model import EvalRun, MetricAggregate, RunAggregates, RunStatus, RunTally, Trigger
from rungway.store.schema import metadata, requests

__all__ = [
    "ResultRow",
    "count_results",
    "eval_results",
    "eval_runs",
    "get_run",
    "insert_results",
    "insert_run",
    "list_runs",
    "read_results",
    "set_run_finished",
    "tally_results",
]

eval_runs = Table(
    "eval_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workload", String(64), nullable=False),
    Column("dataset", String(128), nullable=False),
    Column("dataset_version", String(80), nullable=False),
    Column("prompt", String(128)),
    Column("prompt_version", Integer),
    Column("model", String(200)),
    Column("parameters", Text, nullable=False),
    Column("repeat", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("git_commit", String(64)),
    Column("git_branch", String(256)),
    Column("created_by", String(256)),
    Column("error", Text),
    Column("cases", Integer, nullable=False, default=0),
    Column("passed", Integer, nullable=False, default=0),
    Column("errored", Integer, nullable=False, default=0),
    Column("pass_rate", Float),
    Column("pass_rate_low", Float),
    Column("pass_rate_high", Float),
    Column("metrics", Text),
    Column("cost_nano", BigInteger),
    Column("mean_latency_ms", Float),
    Column("cached", Integer),
    Column("duration_s", Float),
    Index("ix_eval_runs_workload_started", "workload", "started_at"),
    Index("ix_eval_runs_started", "started_at"),
    Index("ix_eval_runs_prompt_version", "workload", "prompt", "prompt_version"),  # e0005: the label gate's reads
)

eval_results = Table(
    "eval_results",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("case_key", String(200), primary_key=True),
    Column("repeat", Integer, primary_key=True),
    Column("output", Text, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("score", Float, nullable=False),
    Column("scores", Text, nullable=False),
    Column("tool_calls", Text, nullable=False),
    Column("latency_ms", Float),
    Column("cost_nano", BigInteger),
    Column("request_id", String(40)),
    Column("trace_id", String(64)),
    Column("cached", Boolean, nullable=False),
    Column("error", Text),
)

NANO = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ResultRow:
    """A stored result: `scores` and `tool_calls` as the JSON the API shows."""

    run_id: str
    case_key: str
    repeat: int
    output: str
    passed: bool
    score: float
    scores: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    latency_ms: float | None
    cost_usd: float | None
    request_id: str | None
    trace_id: str | None
    cached: bool
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "case_key": self.case_key,
            "repeat": self.repeat,
            "output": self.output,
            "passed": self.passed,
            "score": self.score,
            "scores": self.scores,
            "tool_calls": self.tool_calls,
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "request_id": self.request_id,
            "trace_id": self.trace_id,
            "cached": self.cached,
            "error": self.error,
        }


def insert_run(engine: Engine, run: EvalRun) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(eval_runs).values(
                id=run.id,
                workload=run.workload,
                dataset=run.dataset,
                dataset_version=run.dataset_version,
                prompt=run.prompt,
                prompt_version=run.prompt_version,
                model=run.model,
                parameters=orjson.dumps(dict(run.parameters)).decode(),
                repeat=run.repeat,
                status=run.status.value,
                trigger=run.trigger.value,
                started_at=run.started_at,
                git_commit=run.git_commit,
                git_branch=run.git_branch,
                created_by=run.created_by,
            )
        )


def _run(row: Any) -> EvalRun:
    aggregates = None
    if row.pass_rate is not None:
        metrics = tuple(
            MetricAggregate(m["name"], m["count"], m["mean"], m["pass_rate"], m["errored"])
            for m in orjson.loads(row.metrics or "[]")
        )
        aggregates = RunAggregates(
            row.cases, row.passed, row.errored, row.pass_rate, row.pass_rate_low, row.pass_rate_high, metrics,
            (row.cost_nano or 0) / NANO, row.mean_latency_ms, row.cached or 0,
        )  # fmt: skip
    return EvalRun(
        id=row.id,
        workload=row.workload,
        dataset=row.dataset,
        dataset_version=row.dataset_version,
        prompt=row.prompt,
        prompt_version=row.prompt_version,
        model=row.model,
        parameters=orjson.loads(row.parameters),
        repeat=row.repeat,
        status=RunStatus(row.status),
        trigger=Trigger(row.trigger),
        started_at=row.started_at,
        finished_at=row.finished_at,
        git_commit=row.git_commit,
        git_branch=row.git_branch,
        aggregates=aggregates,
        duration_s=row.duration_s,
        created_by=row.created_by,
        error=row.error,
    )


def get_run(engine: Engine, run_id: str) -> EvalRun | None:
    with engine.connect() as conn:
        row = conn.execute(select(eval_runs).where(eval_runs.c.id == run_id)).first()
    return None if row is None else _run(row)


def list_runs(
    engine: Engine,
    *,
    workload: str | None,
    dataset: str | None = None,
    prompt: str | None = None,
    status: str | None = None,
    since: float | None = None,
    before: str | None = None,
    limit: int = 50,
) -> list[EvalRun]:
    """Newest first; `workload` None reads every workload's (the admin's view); `before` is a run id cursor."""
    query = select(eval_runs)
    if workload is not None:
        query = query.where(eval_runs.c.workload == workload)
    if dataset:
        query = query.where(eval_runs.c.dataset == dataset)
    if prompt:
        query = query.where(eval_runs.c.prompt == prompt)
    if status:
        query = query.where(eval_runs.c.status == status)
    if since is not None:
        query = query.where(eval_runs.c.started_at >= since)
    if before:
        query = query.where(eval_runs.c.id < before)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(eval_runs.c.id.desc()).limit(limit)).all()
    return [_run(r) for r in rows]


def _insert_ignoring_duplicates(engine: Engine) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(eval_results).on_conflict_do_nothing()
    if engine.dialect.name == "sqlite":
        return sqlite.insert(eval_results).on_conflict_do_nothing()
    return insert(eval_results).prefix_with("IGNORE")


def insert_results(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Rows keyed by (run_id, case_key, repeat); one already stored is left as it is."""
    if rows:
        with engine.begin() as conn:
            conn.execute(_insert_ignoring_duplicates(engine), list(rows))


def count_results(engine: Engine, run_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(eval_results.c.run_id == run_id)).scalar_one())


def _result(row: Any) -> ResultRow:
    return ResultRow(
        row.run_id, row.case_key, row.repeat, row.output, row.passed, row.score, orjson.loads(row.scores),
        orjson.loads(row.tool_calls), row.latency_ms, None if row.cost_nano is None else row.cost_nano / NANO,
        row.request_id, row.trace_id, row.cached, row.error,
    )  # fmt: skip


def _after(cursor: tuple[str, int]) -> Any:
    key, repeat = cursor
    c = eval_results.c
    return or_(c.case_key > key, and_(c.case_key == key, c.repeat > repeat))


def read_results(
    engine: Engine, run_id: str, *, after: tuple[str, int] | None = None, limit: int = 100, failed_only: bool = False
) -> list[ResultRow]:
    """A page of a run's results in (case key, repeat) order, after the keyset cursor `after`."""
    query = select(eval_results).where(eval_results.c.run_id == run_id)
    if after is not None:
        query = query.where(_after(after))
    if failed_only:
        query = query.where(eval_results.c.passed.is_(False))
    query = query.order_by(eval_results.c.case_key, eval_results.c.repeat).limit(limit)
    with engine.connect() as conn:
        return [_result(r) for r in conn.execute(query).all()]


def _pages(engine: Engine, run_id: str, size: int = 1000) -> Iterator[Sequence[Any]]:
    cost = select(requests.c.cost_nano).where(requests.c.id == eval_results.c.request_id).scalar_subquery()
    columns = [eval_results.c.case_key, eval_results.c.repeat, eval_results.c.passed, eval_results.c.error,
               eval_results.c.scores, eval_results.c.latency_ms, eval_results.c.cost_nano, eval_results.c.cached,
               cost.label("logged_cost")]  # fmt: skip
    after: tuple[str, int] | None = None
    while True:
        query = select(*columns).where(eval_results.c.run_id == run_id)
        if after is not None:
            query = query.where(_after(after))
        with engine.connect() as conn:
            rows = conn.execute(query.order_by(eval_results.c.case_key, eval_results.c.repeat).limit(size)).all()
        if not rows:
            return
        yield rows
        after = (rows[-1].case_key, rows[-1].repeat)


def tally_results(engine: Engine, run_id: str) -> RunTally:
    """The run's aggregates folded from its stored results, a page at a time; a call's cost is the request
    log's when the gateway recorded it (priced by the server's table), else the runner's estimate."""
    tally = RunTally()
    for rows in _pages(engine, run_id):
        for row in rows:
            nano = row.logged_cost if row.logged_cost is not None and not row.cached else row.cost_nano
            scores = [(s["metric"], float(s["value"]), bool(s["passed"]), bool(s.get("errored", False)))
                      for s in orjson.loads(row.scores)]  # fmt: skip
            tally.add(row.passed, row.error is not None, None if nano is None else nano / NANO, row.latency_ms,
                      row.cached, scores)  # fmt: skip
    return tally


def set_run_finished(
    engine: Engine, run_id: str, status: RunStatus, error: str | None, finished_at: float, agg: RunAggregates
) -> bool:
    """Complete a running run with its aggregates; False when it was not running (finished already)."""
    with engine.begin() as conn:
        row = conn.execute(select(eval_runs.c.started_at).where(eval_runs.c.id == run_id)).first()
        if row is None:
            return False
        done = conn.execute(
            update(eval_runs)
            .where(eval_runs.c.id == run_id, eval_runs.c.status == RunStatus.RUNNING.value)
            .values(
                status=status.value,
                error=error,
                finished_at=finished_at,
                duration_s=max(0.0, finished_at - row.started_at),
                cases=agg.cases,
                passed=agg.passed,
                errored=agg.errored,
                pass_rate=agg.pass_rate,
                pass_rate_low=agg.pass_rate_low,
                pass_rate_high=agg.pass_rate_high,
                metrics=orjson.dumps([m.to_json() for m in agg.metrics]).decode(),
                cost_nano=round(agg.cost_usd * NANO),
                mean_latency_ms=agg.mean_latency_ms,
                cached=agg.cached,
            )
        )
        return bool(done.rowcount)
