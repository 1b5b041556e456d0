"""Assessment: calls by requested model, deployment and routing rule, rolled up per hour and workload.

`assessment_route_hourly` (calls, calls answered under 400, calls that failed over) sits beside the other
hourly facts, filled in the same transactions, so the models capability's routing and failover evidence
(`multi_model_routing`, `provider_outage_recovery`) reads a roll-up instead of 90 days of the request log.
The roll-up is emptied so the next assessment rebuilds every hourly table from the request log (a one-off
catch-up, as in a0003 and a0004): hours rolled up before this revision hold no route facts.

Revision ID: a0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0005"
down_revision = "a0004"
branch_labels = None
depends_on = "f0069"


def upgrade() -> None:
    op.create_table(
        "assessment_route_hourly",
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("model_requested", sa.String(128), primary_key=True),
        sa.Column("deployment", sa.String(128), primary_key=True),
        sa.Column("route_rule", sa.String(128), primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("ok_calls", sa.BigInteger, nullable=False),
        sa.Column("failed_over", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_assessment_route_hourly_bucket", "assessment_route_hourly", ["bucket"])
    op.execute("DELETE FROM assessment_hourly")
    op.execute("DELETE FROM assessment_prompt_hourly")
    op.execute("DELETE FROM assessment_rollup_state")


def downgrade() -> None:
    op.drop_index("ix_assessment_route_hourly_bucket", "assessment_route_hourly")
    op.drop_table("assessment_route_hourly")
