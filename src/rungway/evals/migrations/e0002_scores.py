"""Evals: scores, one record for every judgement (eval runs, annotations, end-user feedback, online scorers).

Revision ID: e0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0002"
down_revision = "e0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_scores",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("span_id", sa.String(16)),
        sa.Column("run_id", sa.String(64)),
        sa.Column("case_key", sa.String(200)),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("data_type", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("string_value", sa.String(256)),
        sa.Column("comment", sa.Text),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("scorer", sa.String(200)),
        sa.Column("scorer_version", sa.String(64)),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("author_key_id", sa.String(40)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_eval_scores_trace", "eval_scores", ["workload", "trace_id"])
    op.create_index("ix_eval_scores_created", "eval_scores", ["workload", "created_at"])
    op.create_index("ix_eval_scores_run", "eval_scores", ["run_id", "case_key"])


def downgrade() -> None:
    op.drop_table("eval_scores")
