"""Models, failover: incident records (`model_incidents`, `model_incident_workloads`) and drills (`model_drills`).

Revision ID: m0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0004"
down_revision = "m0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_incidents",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("closed_at", sa.Float),
        sa.Column("cause", sa.String(16), nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("served", sa.Integer, nullable=False),
        sa.Column("failed_over", sa.Integer, nullable=False),
        sa.Column("lost", sa.Integer, nullable=False),
        sa.Column("added_p50_ms", sa.Float),
        sa.Column("added_p99_ms", sa.Float),
        sa.Column("normal_p50_ms", sa.Float),
        sa.Column("normal_p99_ms", sa.Float),
    )
    op.create_index("ix_model_incidents_opened_at", "model_incidents", ["opened_at"])
    op.create_table(
        "model_incident_workloads",
        sa.Column("incident_id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("served", sa.Integer, nullable=False),
        sa.Column("failed_over", sa.Integer, nullable=False),
        sa.Column("lost", sa.Integer, nullable=False),
    )
    op.create_index("ix_model_incident_workloads_workload", "model_incident_workloads", ["workload"])
    op.create_table(
        "model_drills",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("deployment", sa.String(128), nullable=False),
        sa.Column("fault", sa.String(16), nullable=False),
        sa.Column("error_rate", sa.Float, nullable=False),
        sa.Column("latency_s", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("served", sa.Integer, nullable=False),
        sa.Column("failed_over", sa.Integer, nullable=False),
        sa.Column("lost", sa.Integer, nullable=False),
        sa.Column("success_rate", sa.Float),
        sa.Column("added_p50_ms", sa.Float),
        sa.Column("added_p99_ms", sa.Float),
        sa.Column("normal_p50_ms", sa.Float),
        sa.Column("normal_p99_ms", sa.Float),
        sa.Column("workloads", sa.Text, nullable=False),
    )
    op.create_index("ix_model_drills_started_at", "model_drills", ["started_at"])


def downgrade() -> None:
    op.drop_table("model_drills")
    op.drop_table("model_incident_workloads")
    op.drop_table("model_incidents")
