"""Assessment: history, attestations, claimed stages, organisation thresholds, hourly request facts.

Revision ID: a0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0001"
down_revision = None
branch_labels = ("assessment",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("assessed_at", sa.Float, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("target_stage", sa.Integer, nullable=False),
        sa.Column("claimed_stage", sa.Integer),
        sa.Column("drift", sa.Boolean, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_index("ix_assessments_workload_at", "assessments", ["workload", "assessed_at"])
    op.create_index("ix_assessments_at", "assessments", ["assessed_at"])
    op.create_table(
        "attestations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("attested_by", sa.String(256), nullable=False),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_attestations_workload", "attestations", ["workload", "item_id"])
    op.create_table(
        "claimed_stages",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("stage", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.String(256)),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "assessment_thresholds",
        sa.Column("check_id", sa.String(64), primary_key=True),
        sa.Column("threshold", sa.Float),
        sa.Column("window_days", sa.Integer),
        sa.Column("updated_by", sa.String(256)),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    measures = ("calls", "ok_calls", "ok_chat", "traced", "with_user", "ok_priced", "with_account", "errors")
    op.create_table(
        "assessment_hourly",
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("model_resolved", sa.String(128), primary_key=True),
        *(sa.Column(m, sa.BigInteger, nullable=False) for m in (*measures, "with_latency")),
    )
    op.create_index("ix_assessment_hourly_bucket", "assessment_hourly", ["bucket"])
    op.create_table(
        "assessment_rollup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "assessment_rollup_state",
        "assessment_hourly",
        "assessment_thresholds",
        "claimed_stages",
        "attestations",
        "assessments",
    ):
        op.drop_table(name)
