"""Traces: spans keyed by (trace, span, workload); one roll-up row per (trace, workload).

Why: a trace can hold spans of several workloads (a gateway call joining another team's trace with
`traceparent`); totals and reads must never mix them, and a re-sent OTLP export must be stored
once. Duplicates already stored are removed and every roll-up is recomputed from the spans, so
traces doubled by earlier re-sends come out right. The trace's model now prefers an LLM span's.

Revision ID: t0065 (after t0064, which widened the counts on PostgreSQL)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0065"
down_revision = "t0064"
branch_labels = None
depends_on = None

_ROLL_UP = """
INSERT INTO traces_by_workload (trace_id, workload, user_id, session_id, tags, name, has_root, model,
    model_from_llm, start_time, end_time, span_count, error_count, tokens_in, tokens_out, cost_nano)
SELECT s.trace_id, s.workload, MAX(s.user_id), MAX(s.session_id),
    COALESCE((SELECT g.tags FROM spans g WHERE g.trace_id = s.trace_id AND g.workload = s.workload
              AND g.tags <> '{}' ORDER BY g.start_time LIMIT 1), '{}'),
    COALESCE((SELECT r.name FROM spans r WHERE r.trace_id = s.trace_id AND r.workload = s.workload
              AND r.parent_span_id IS NULL ORDER BY r.start_time LIMIT 1), MIN(s.name)),
    MAX(CASE WHEN s.parent_span_id IS NULL THEN 1 ELSE 0 END),
    COALESCE((SELECT m.model FROM spans m WHERE m.trace_id = s.trace_id AND m.workload = s.workload
              AND m.kind = 'llm' AND m.model IS NOT NULL ORDER BY m.start_time LIMIT 1), MIN(s.model)),
    MAX(CASE WHEN s.kind = 'llm' AND s.model IS NOT NULL THEN 1 ELSE 0 END),
    MIN(s.start_time), MAX(s.end_time), COUNT(*), SUM(CASE WHEN s.status = 'error' THEN 1 ELSE 0 END),
    SUM(s.tokens_in), SUM(s.tokens_out), SUM(s.cost_nano)
FROM spans s GROUP BY s.trace_id, s.workload
"""


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("UPDATE spans SET workload = '' WHERE workload IS NULL")
    if bind.dialect.name == "postgresql":
        op.execute(
            "DELETE FROM spans a USING spans b WHERE a.trace_id = b.trace_id AND a.span_id = b.span_id "
            "AND a.workload = b.workload AND a.ctid > b.ctid"
        )
    else:
        op.execute(
            "DELETE FROM spans WHERE rowid NOT IN (SELECT MIN(rowid) FROM spans GROUP BY trace_id, span_id, workload)"
        )
    op.drop_index("ix_spans_trace", table_name="spans")
    with op.batch_alter_table("spans") as batch:
        batch.alter_column("workload", existing_type=sa.String(64), nullable=False, server_default="")
    op.create_index("ux_spans_trace_span_workload", "spans", ["trace_id", "span_id", "workload"], unique=True)
    op.create_table(
        "traces_by_workload",
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(256)),
        sa.Column("session_id", sa.String(256)),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("has_root", sa.Integer, nullable=False),
        sa.Column("model", sa.String(128)),
        sa.Column("model_from_llm", sa.Integer, nullable=False, server_default="0"),
        sa.Column("start_time", sa.Float, nullable=False),
        sa.Column("end_time", sa.Float, nullable=False),
        sa.Column("span_count", sa.BigInteger, nullable=False),
        sa.Column("error_count", sa.BigInteger, nullable=False),
        sa.Column("tokens_in", sa.BigInteger, nullable=False),
        sa.Column("tokens_out", sa.BigInteger, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("trace_id", "workload", name="pk_traces"),
    )
    op.execute(_ROLL_UP)
    op.drop_table("traces")
    op.rename_table("traces_by_workload", "traces")
    op.create_index("ix_traces_start", "traces", ["start_time"])
    op.create_index("ix_traces_workload_start", "traces", ["workload", "start_time"])


def downgrade() -> None:
    # Back to one row per trace (the first workload's identity, every workload's totals summed).
    op.execute(
        "CREATE TABLE traces_by_trace AS SELECT trace_id, MIN(workload) AS workload, MAX(user_id) AS user_id, "
        "MAX(session_id) AS session_id, MIN(tags) AS tags, MIN(name) AS name, MAX(has_root) AS has_root, "
        "MIN(model) AS model, MIN(start_time) AS start_time, MAX(end_time) AS end_time, "
        "SUM(span_count) AS span_count, SUM(error_count) AS error_count, SUM(tokens_in) AS tokens_in, "
        "SUM(tokens_out) AS tokens_out, SUM(cost_nano) AS cost_nano FROM traces GROUP BY trace_id"
    )
    op.drop_table("traces")
    op.rename_table("traces_by_trace", "traces")
    op.create_index("ix_traces_start", "traces", ["start_time"])
    op.create_index("ix_traces_workload_start", "traces", ["workload", "start_time"])
    op.drop_index("ux_spans_trace_span_workload", table_name="spans")
    op.create_index("ix_spans_trace", "spans", ["trace_id"])
