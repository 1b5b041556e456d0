"""Foundation: what the assessment must judge from call time, and the management reads it counts as use.

`requests.model_pinned` records whether the route the gateway resolved pinned its model (a dated
snapshot or `pinned: true`), so editing the config later cannot rewrite the past window's verdict;
`requests.user_from_request` records whether the call's user came from the call (`user` /
`x-rungway-user`) rather than from the key's owner. Both are NULL on rows written before this
revision (not evidence either way). `management_reads` logs who read the request log, usage or
cost (API or CLI), per workload: evidence that cost and logs are watched, not just stored.

Revision ID: f0066
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0066"
down_revision = "f0065"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("model_pinned", sa.Boolean))
        batch.add_column(sa.Column("user_from_request", sa.Boolean))
    op.create_table(
        "management_reads",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("workload", sa.String(64)),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("key_id", sa.String(40)),
    )
    op.create_index("ix_management_reads_ts", "management_reads", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_management_reads_ts", table_name="management_reads")
    op.drop_table("management_reads")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("user_from_request")
        batch.drop_column("model_pinned")
