"""Models: shadow runs (a sample of a workload's live calls copied to a candidate model) and their results.

Revision ID: m0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0005"
down_revision = "m0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_shadow_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("from_model", sa.String(128), nullable=False),
        sa.Column("to_model", sa.String(128), nullable=False),
        sa.Column("sample", sa.Float, nullable=False),
        sa.Column("max_in_flight", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ends_at", sa.Float),
        sa.Column("stopped_at", sa.Float),
        sa.Column("started_by", sa.String(256)),
        sa.Column("stopped_by", sa.String(256)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("dropped", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_model_shadow_runs_workload", "model_shadow_runs", ["workload", "started_at"])
    op.create_table(
        "model_shadow_results",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("stream", sa.Boolean, nullable=False),
        sa.Column("a_latency_ms", sa.Float, nullable=False),
        sa.Column("b_latency_ms", sa.Float),
        sa.Column("a_tokens_in", sa.Integer, nullable=False),
        sa.Column("a_tokens_out", sa.Integer, nullable=False),
        sa.Column("b_tokens_in", sa.Integer, nullable=False),
        sa.Column("b_tokens_out", sa.Integer, nullable=False),
        sa.Column("a_cost_nano", sa.BigInteger, nullable=False),
        sa.Column("b_cost_nano", sa.BigInteger, nullable=False),
        sa.Column("a_priced", sa.Boolean, nullable=False),
        sa.Column("b_priced", sa.Boolean, nullable=False),
        sa.Column("b_error", sa.String(256)),
        sa.Column("exact_match", sa.Boolean),
        sa.Column("token_f1", sa.Float),
        sa.Column("rouge_l", sa.Float),
        sa.Column("json_valid", sa.Boolean),
        sa.Column("tool_names_equal", sa.Boolean),
    )
    op.create_index("ix_model_shadow_results_run", "model_shadow_results", ["run_id", "ts"])


def downgrade() -> None:
    op.drop_index("ix_model_shadow_results_run", table_name="model_shadow_results")
    op.drop_table("model_shadow_results")
    op.drop_index("ix_model_shadow_runs_workload", table_name="model_shadow_runs")
    op.drop_table("model_shadow_runs")
