"""Anomaly detection: the hourly roll-up of the request log it judges, its watermark, each workload's watch
state, and the anomalies (open and resolved episodes).

Revision ID: an0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "an0001"
down_revision = None
branch_labels = ("anomalies",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "anomaly_hourly",
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("errors", sa.BigInteger, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("tokens", sa.BigInteger, nullable=False),
        sa.Column("refusals", sa.BigInteger, nullable=False),
        sa.Column("filter_hits", sa.BigInteger, nullable=False),
        sa.Column("latency_p95", sa.Float),
        sa.Column("ttft_p95", sa.Float),
        sa.Column("ttft_calls", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_anomaly_hourly_workload", "anomaly_hourly", ["workload", "bucket"])
    op.create_table(
        "anomaly_rollup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.Float, nullable=False),
    )
    op.create_table(
        "anomaly_watch",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("judged_through", sa.Float),
        sa.Column("evaluated_at", sa.Float),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "anomalies",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(160), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("last_hour", sa.Float, nullable=False),
        sa.Column("resolved_at", sa.Float),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("expected", sa.Float, nullable=False),
        sa.Column("z", sa.Float, nullable=False),
        sa.Column("peak_z", sa.Float, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("calm_hours", sa.Integer, nullable=False),
        sa.Column("dimension", sa.String(32)),
        sa.Column("dimension_value", sa.String(256)),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("traces", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_anomalies_workload", "anomalies", ["workload", "opened_at"])
    op.create_index("ix_anomalies_status", "anomalies", ["status", "workload"])


def downgrade() -> None:
    op.drop_index("ix_anomalies_status", table_name="anomalies")
    op.drop_index("ix_anomalies_workload", table_name="anomalies")
    op.drop_table("anomalies")
    op.drop_table("anomaly_watch")
    op.drop_table("anomaly_rollup_state")
    op.drop_index("ix_anomaly_hourly_workload", table_name="anomaly_hourly")
    op.drop_table("anomaly_hourly")
