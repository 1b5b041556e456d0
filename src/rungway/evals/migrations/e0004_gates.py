"""Evals: gate results recorded on eval runs (a gate before each production change is evidence).

Revision ID: e0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0004"
down_revision = "e0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_gates",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("baseline_run", sa.String(40)),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(256)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_eval_gates_run", "eval_gates", ["run_id"])
    op.create_index("ix_eval_gates_workload_created", "eval_gates", ["workload", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_eval_gates_workload_created", "eval_gates")
    op.drop_index("ix_eval_gates_run", "eval_gates")
    op.drop_table("eval_gates")
