"""Red teaming: runs, per-attack results with bounded transcripts, triage, schedules and alerts.

Revision ID: r0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = ("redteam",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "redteam_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("corpus_version", sa.String(32), nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("prompt", sa.String(200)),
        sa.Column("model", sa.String(200)),
        sa.Column("judge_model", sa.String(200)),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=False),
        sa.Column("attacks", sa.Integer, nullable=False),
        sa.Column("succeeded", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("rates", sa.Text, nullable=False),
        sa.Column("previous_run_id", sa.String(40)),
        sa.Column("created_by", sa.String(256)),
    )
    op.create_index("ix_redteam_runs_workload", "redteam_runs", ["workload", "started_at"])
    op.create_table(
        "redteam_results",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("attack_id", sa.String(80), primary_key=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("strategy", sa.String(32)),
        sa.Column("goal", sa.String(16), nullable=False),
        sa.Column("succeeded", sa.Boolean, nullable=False),
        sa.Column("grader", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("error", sa.String(500)),
        sa.Column("judge_reason", sa.String(500)),
        sa.Column("transcript", sa.Text, nullable=False),
    )
    op.create_table(
        "redteam_triage",
        sa.Column("run_id", sa.String(40), primary_key=True),
        sa.Column("attack_id", sa.String(80), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("triaged_at", sa.Float, nullable=False),
        sa.Column("triaged_by", sa.String(256)),
    )
    op.create_table(
        "redteam_schedules",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("every_s", sa.Float, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("prompt", sa.String(200)),
        sa.Column("model", sa.String(200)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256)),
    )
    op.create_table(
        "redteam_alerts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_redteam_alerts_workload", "redteam_alerts", ["workload", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_redteam_alerts_workload", table_name="redteam_alerts")
    op.drop_table("redteam_alerts")
    op.drop_table("redteam_schedules")
    op.drop_table("redteam_triage")
    op.drop_table("redteam_results")
    op.drop_index("ix_redteam_runs_workload", table_name="redteam_runs")
    op.drop_table("redteam_runs")
