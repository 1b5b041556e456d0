"""SLOs: definitions, their hourly roll-ups and watermarks, status snapshots, alert state and alert history.

Revision ID: slo0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "slo0001"
down_revision = None
branch_labels = ("slos",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "slo_definitions",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("series", sa.String(32), nullable=False, unique=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256)),
    )
    op.create_table(
        "slo_hourly",
        sa.Column("series", sa.String(32), primary_key=True),
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("good", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "slo_rollup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.Float, nullable=False),
    )
    op.create_table(
        "slo_snapshots",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("at", sa.Float, primary_key=True),
        sa.Column("good", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("sli", sa.Float),
        sa.Column("budget_remaining", sa.Float),
        sa.Column("burn_rates", sa.Text, nullable=False),
        sa.Column("firing", sa.String(200), nullable=False),
    )
    op.create_table(
        "slo_alert_state",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("tier", sa.String(16), primary_key=True),
        sa.Column("firing", sa.Boolean, nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("since", sa.Float, nullable=False),
    )
    op.create_table(
        "slo_alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("burn_long", sa.Float, nullable=False),
        sa.Column("burn_short", sa.Float, nullable=False),
    )
    op.create_index("ix_slo_alerts_workload", "slo_alerts", ["workload", "at"])


def downgrade() -> None:
    op.drop_index("ix_slo_alerts_workload", table_name="slo_alerts")
    for table in ("slo_alerts", "slo_alert_state", "slo_snapshots", "slo_rollup_state", "slo_hourly",
                  "slo_definitions"):  # fmt: skip
        op.drop_table(table)
