"""Foundation: `request_hourly`, the request log rolled up by hour and workload for the dashboard.

Calls, errors, cost and a latency histogram per (hour, workload), and the roll-up's watermark
(`store/request_stats.py`); the server fills it in the background, so an existing store is rolled
up after the upgrade, a day per transaction.

Revision ID: f0180
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0180"
down_revision = "f0067"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_hourly",
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("requests", sa.BigInteger, nullable=False),
        sa.Column("errors", sa.BigInteger, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("latency", sa.Text, nullable=False),
    )
    op.create_index("ix_request_hourly_bucket", "request_hourly", ["bucket"])
    op.create_table(
        "request_rollup_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("watermark", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("request_rollup_state")
    op.drop_index("ix_request_hourly_bucket", "request_hourly")
    op.drop_table("request_hourly")
