"""Traces: one row per span, one roll-up row per trace.

Revision ID: t0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "t0001"
down_revision = None
branch_labels = ("traces",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "spans",
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("parent_span_id", sa.String(16)),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("start_time", sa.Float, nullable=False),
        sa.Column("end_time", sa.Float, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("workload", sa.String(64)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("session_id", sa.String(256)),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("service", sa.String(256)),
        sa.Column("model", sa.String(128)),
        sa.Column("provider", sa.String(64)),
        sa.Column("tokens_in", sa.Integer, nullable=False),
        sa.Column("tokens_out", sa.Integer, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_spans_trace", "spans", ["trace_id"])
    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(32), primary_key=True),
        sa.Column("workload", sa.String(64)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("session_id", sa.String(256)),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("has_root", sa.Integer, nullable=False),
        sa.Column("model", sa.String(128)),
        sa.Column("start_time", sa.Float, nullable=False),
        sa.Column("end_time", sa.Float, nullable=False),
        sa.Column("span_count", sa.Integer, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("tokens_in", sa.BigInteger, nullable=False),
        sa.Column("tokens_out", sa.BigInteger, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_traces_start", "traces", ["start_time"])
    op.create_index("ix_traces_workload_start", "traces", ["workload", "start_time"])


def downgrade() -> None:
    op.drop_table("traces")
    op.drop_table("spans")
