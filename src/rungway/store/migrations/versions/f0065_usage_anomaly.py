"""Foundation: the request log's `usage_anomaly` column, on every store.

The column is the core's (the gateway's meter writes it), but the budgets branch added it (b0002)
while every branch's versions shipped together. Now that a capability's migrations run only when
it is installed, the foundation adds it when it is missing; on a store where b0002 ran first this
does nothing. The absurd figures written before usage was bounded are still capped by b0002.

Revision ID: f0065
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0065"
down_revision = "f0064"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "usage_anomaly" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("requests")}:
        with op.batch_alter_table("requests") as batch:
            batch.add_column(sa.Column("usage_anomaly", sa.String(200)))


def downgrade() -> None:
    # The column may be b0002's: dropping it is that migration's to do.
    pass
