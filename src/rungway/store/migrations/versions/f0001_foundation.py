"""Foundation: workloads, API keys and the request log.

Revision ID: f0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0001"
down_revision = None
branch_labels = ("foundation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workloads",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("team", sa.String(128)),
        sa.Column("tenant", sa.String(128)),
        sa.Column("risk_tier", sa.String(32), nullable=False),
        sa.Column("content_capture", sa.String(32), nullable=False),
        sa.Column("retention_days", sa.Integer),
        sa.Column("rpm_limit", sa.Integer),
        sa.Column("tpm_limit", sa.Integer),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(256)),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("allowed_models", sa.Text, nullable=False),
        sa.Column("rpm_limit", sa.Integer),
        sa.Column("tpm_limit", sa.Integer),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float),
        sa.Column("revoked_at", sa.Float),
    )
    op.create_index("ix_api_keys_workload", "api_keys", ["workload"])
    op.create_index("ix_api_keys_updated_at", "api_keys", ["updated_at"])
    op.create_table(
        "requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("ts_start", sa.Float, nullable=False),
        sa.Column("ts_end", sa.Float, nullable=False),
        sa.Column("workload", sa.String(64)),
        sa.Column("key_id", sa.String(40)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("team", sa.String(128)),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("endpoint", sa.String(32), nullable=False),
        sa.Column("model_requested", sa.String(128)),
        sa.Column("model_resolved", sa.String(128)),
        sa.Column("provider", sa.String(64)),
        sa.Column("provider_account", sa.String(128)),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_type", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("stream", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("upstream_ms", sa.Float),
        sa.Column("overhead_ms", sa.Float),
        sa.Column("tokens_in", sa.Integer, nullable=False),
        sa.Column("tokens_out", sa.Integer, nullable=False),
        sa.Column("tokens_cached", sa.Integer, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("priced", sa.Boolean, nullable=False),
        sa.Column("trace_id", sa.String(32)),
        sa.Column("span_id", sa.String(16)),
    )
    op.create_index("ix_requests_ts", "requests", ["ts_start"])
    op.create_index("ix_requests_workload_ts", "requests", ["workload", "ts_start"])
    op.create_index("ix_requests_user_ts", "requests", ["user_id", "ts_start"])
    op.create_index("ix_requests_trace", "requests", ["trace_id"])


def downgrade() -> None:
    op.drop_table("requests")
    op.drop_table("api_keys")
    op.drop_table("workloads")
