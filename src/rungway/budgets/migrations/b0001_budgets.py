"""Budgets: budget definitions and budget events (blocks, thresholds, alerts).

Revision ID: b0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0001"
down_revision = None
branch_labels = ("budgets",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("workload", sa.String(64)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("team", sa.String(128)),
        sa.Column("key_id", sa.String(40)),
        sa.Column("amount_nano", sa.BigInteger, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.Float),
        sa.Column("ends_at", sa.Float),
        sa.Column("thresholds", sa.Text, nullable=False),
        sa.Column("hard", sa.Boolean, nullable=False),
        sa.Column("webhook_url", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float),
    )
    op.create_index("ix_budgets_updated_at", "budgets", ["updated_at"])
    op.create_table(
        "budget_events",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("budget_id", sa.String(40), nullable=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Float, nullable=False),
        sa.Column("threshold", sa.Integer),
        sa.Column("spent_nano", sa.BigInteger, nullable=False),
        sa.Column("reserved_nano", sa.BigInteger, nullable=False),
        sa.Column("requested_nano", sa.BigInteger, nullable=False),
        sa.Column("limit_nano", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(40)),
        sa.Column("workload", sa.String(64)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("key_id", sa.String(40)),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_budget_events_budget_ts", "budget_events", ["budget_id", "ts"])
    op.create_index("ix_budget_events_ts", "budget_events", ["ts"])


def downgrade() -> None:
    op.drop_table("budget_events")
    op.drop_table("budgets")
