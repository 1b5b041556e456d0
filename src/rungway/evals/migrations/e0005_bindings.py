"""Evals: bindings of datasets (and their gate requirement) to a workload's prompts.

Revision ID: e0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0005"
down_revision = "e0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_bindings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("prompt", sa.String(128), nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("requirement", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256)),
        sa.UniqueConstraint("workload", "prompt", "dataset", name="uq_eval_bindings_target"),
    )
    op.create_index("ix_eval_runs_prompt_version", "eval_runs", ["workload", "prompt", "prompt_version"])


def downgrade() -> None:
    op.drop_index("ix_eval_runs_prompt_version", table_name="eval_runs")
    op.drop_table("eval_bindings")
