"""Models: each workload's pins (`model_pins`) and every change to them (`model_pin_changes`).

Revision ID: m0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_pins",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column("snapshot", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("report_id", sa.String(40)),
    )
    op.create_table(
        "model_pin_changes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_snapshot", sa.String(128)),
        sa.Column("to_snapshot", sa.String(128)),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("report_id", sa.String(40)),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    op.create_index("ix_model_pin_changes_workload", "model_pin_changes", ["workload", "changed_at"])
    op.create_index("ix_model_pin_changes_alias", "model_pin_changes", ["workload", "alias", "changed_at"])


def downgrade() -> None:
    op.drop_table("model_pin_changes")
    op.drop_table("model_pins")
