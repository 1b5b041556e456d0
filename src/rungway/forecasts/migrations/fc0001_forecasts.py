"""Spend forecasts: the daily spend roll-up, its watermark, and budget-exhaustion alert episodes.

Revision ID: fc0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "fc0001"
down_revision = None
branch_labels = ("forecasts",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "forecast_daily",
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("workload", sa.String(64)),
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("key", sa.String(256)),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("requests", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_forecast_daily_dim_day", "forecast_daily", ["dim", "day"])
    op.create_index("ix_forecast_daily_workload", "forecast_daily", ["workload", "dim", "day"])
    op.create_table(
        "forecast_rollup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.Float, nullable=False),
    )
    op.create_table(
        "forecast_alerts",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("budget_id", sa.String(40), nullable=False),
        sa.Column("budget_name", sa.String(128), nullable=False),
        sa.Column("workload", sa.String(64)),
        sa.Column("period_start", sa.Float, nullable=False),
        sa.Column("period_end", sa.Float, nullable=False),
        sa.Column("exhaust_at", sa.Float, nullable=False),
        sa.Column("earliest", sa.Float),
        sa.Column("latest", sa.Float),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float),
        sa.Column("message", sa.String(500), nullable=False),
    )
    op.create_index("ix_forecast_alerts_budget", "forecast_alerts", ["budget_id", "period_start"])


def downgrade() -> None:
    op.drop_table("forecast_alerts")
    op.drop_table("forecast_rollup_state")
    op.drop_table("forecast_daily")
