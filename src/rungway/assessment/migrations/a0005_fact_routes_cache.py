"""Assessment: calls by requested model, deployment and routing rule rolled up per hour, and the cache measures.

`assessment_route_hourly` (calls, calls answered under 400, calls that failed over) sits beside the other
hourly facts, filled in the same transactions, so the models capability's routing and failover evidence
(`multi_model_routing`, `provider_outage_recovery`) reads a roll-up instead of 90 days of the request log.
The hourly request facts gain what the caching capability's `multi_layer_caching` reads (chat calls answered
200, exact and semantic hits and what they saved, prompt tokens the provider cached on calls no cache answered),
so it no longer groups 30 days of the request log either. The roll-up is emptied so the next assessment
rebuilds every hourly table from the request log (a one-off catch-up, as in a0003 and a0004): hours rolled up
before this revision hold neither.

Revision ID: a0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0005"
down_revision = "a0004"
branch_labels = None
depends_on = "f0071"

CACHE_MEASURES = (
    "served_chat", "exact_hits", "exact_saved", "semantic_hits", "semantic_saved", "upstream_cached_tokens",
)  # fmt: skip


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
    with op.batch_alter_table("assessment_hourly") as batch:
        for name in CACHE_MEASURES:
            batch.add_column(sa.Column(name, sa.BigInteger, nullable=False, server_default="0"))
    op.execute("DELETE FROM assessment_hourly")
    op.execute("DELETE FROM assessment_prompt_hourly")
    op.execute("DELETE FROM assessment_rollup_state")


def downgrade() -> None:
    with op.batch_alter_table("assessment_hourly") as batch:
        for name in CACHE_MEASURES:
            batch.drop_column(name)
    op.drop_index("ix_assessment_route_hourly_bucket", "assessment_route_hourly")
    op.drop_table("assessment_route_hourly")
