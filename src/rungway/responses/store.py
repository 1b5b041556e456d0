"""The `responses_stored` table: written in batches off the request path, read only on a memory miss."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from rungway.responses.model import DeletedResponse, StoredResponse

__all__ = [
    "ResponseWrite",
    "delete_response",
    "load_response",
    "purge_responses",
    "responses_stored",
    "write_responses",
]

ResponseWrite = StoredResponse | DeletedResponse

_metadata = sa.MetaData()
responses_stored = sa.Table(
    "responses_stored",
    _metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("workload", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("depth", sa.Integer, nullable=False),
    sa.Column("input_items", sa.Text, nullable=False),
    sa.Column("response", sa.Text, nullable=False),
)


_INSERT = responses_stored.insert()


def write_responses(engine: Engine, batch: Sequence[ResponseWrite]) -> None:
    """The batch writer's sink: inserts and deletes in the order they were queued, each run of inserts as one
    executemany of one compiled statement (a statement compiled per row cost more than the call it stores)."""
    rows: list[dict[str, object]] = []
    with engine.begin() as conn:
        for write in batch:
            if isinstance(write, DeletedResponse):
                if rows:
                    conn.execute(_INSERT, rows)
                    rows = []
                conn.execute(_matching(write.workload, write.id))
                continue
            rows.append(
                {
                    "id": write.id,
                    "workload": write.workload,
                    "created_at": write.created_at,
                    "depth": write.depth,
                    "input_items": orjson.dumps(write.input_items).decode(),
                    "response": orjson.dumps(write.response).decode(),
                }
            )
        if rows:
            conn.execute(_INSERT, rows)


def _matching(workload: str, response_id: str) -> sa.Delete:
    return sa.delete(responses_stored).where(
        responses_stored.c.id == response_id, responses_stored.c.workload == workload
    )


def load_response(engine: Engine, workload: str, response_id: str, newer_than: float) -> StoredResponse | None:
    """One workload's response by id (None for another workload's, exactly as for a missing one)."""
    query = sa.select(responses_stored).where(
        responses_stored.c.id == response_id,
        responses_stored.c.workload == workload,
        responses_stored.c.created_at >= newer_than,
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return StoredResponse(
        row.id, row.workload, row.created_at, orjson.loads(row.input_items), orjson.loads(row.response), row.depth
    )


def delete_response(engine: Engine, workload: str, response_id: str) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(_matching(workload, response_id)).rowcount)


def purge_responses(engine: Engine, older_than: float) -> int:
    """Deletes every response created before `older_than`; returns how many."""
    with engine.begin() as conn:
        return int(conn.execute(sa.delete(responses_stored).where(responses_stored.c.created_at < older_than)).rowcount)
