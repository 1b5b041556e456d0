"""Evals: eval runs (what ran, how it went, its aggregates) and their per-case results.

Revision ID: e0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0003"
down_revision = "e0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("dataset_version", sa.String(80), nullable=False),
        sa.Column("prompt", sa.String(128)),
        sa.Column("prompt_version", sa.Integer),
        sa.Column("model", sa.String(200)),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("repeat", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("git_branch", sa.String(256)),
        sa.Column("created_by", sa.String(256)),
        sa.Column("error", sa.Text),
        sa.Column("cases", sa.Integer, nullable=False, server_default="0"),
        sa.Column("passed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("errored", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pass_rate", sa.Float),
        sa.Column("pass_rate_low", sa.Float),
        sa.Column("pass_rate_high", sa.Float),
        sa.Column("metrics", sa.Text),
        sa.Column("cost_nano", sa.BigInteger),
        sa.Column("mean_latency_ms", sa.Float),
        sa.Column("cached", sa.Integer),
        sa.Column("duration_s", sa.Float),
    )
    op.create_index("ix_eval_runs_workload_started", "eval_runs", ["workload", "started_at"])
    op.create_index("ix_eval_runs_started", "eval_runs", ["started_at"])
    op.create_table(
        "eval_results",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("case_key", sa.String(200), primary_key=True),
        sa.Column("repeat", sa.Integer, primary_key=True),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("scores", sa.Text, nullable=False),
        sa.Column("tool_calls", sa.Text, nullable=False),
        sa.Column("latency_ms", sa.Float),
        sa.Column("cost_nano", sa.BigInteger),
        sa.Column("request_id", sa.String(40)),
        sa.Column("trace_id", sa.String(64)),
        sa.Column("cached", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("eval_results")
    op.drop_index("ix_eval_runs_started", "eval_runs")
    op.drop_index("ix_eval_runs_workload_started", "eval_runs")
    op.drop_table("eval_runs")
