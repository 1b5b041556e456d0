"""Models: planned-upgrade migration reports (`model_upgrade_reports`), one per `upgrade plan`.

Revision ID: m0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0003"
down_revision = "m0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_upgrade_reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("from_model", sa.String(128), nullable=False),
        sa.Column("to_model", sa.String(128), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("applied_at", sa.Float),
        sa.Column("applied_by", sa.String(256)),
    )
    op.create_index("ix_model_upgrade_reports_workload", "model_upgrade_reports", ["workload", "created_at"])


def downgrade() -> None:
    op.drop_table("model_upgrade_reports")
