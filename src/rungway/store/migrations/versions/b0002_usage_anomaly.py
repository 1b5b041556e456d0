"""Budgets: the request log says when a call's upstream-reported usage was corrected before pricing.

Revision ID: b0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0002"
down_revision = "b0001"
branch_labels = None
depends_on = "f0001"


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("usage_anomaly", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("usage_anomaly")
