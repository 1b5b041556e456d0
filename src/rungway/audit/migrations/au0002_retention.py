"""Retention: the record format (2: content hashed by digest, erasable) and legal holds per workload.

Revision ID: au0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "au0002"
down_revision = "au0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.add_column(sa.Column("format", sa.SmallInteger))
    op.create_table(
        "audit_holds",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("since", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_holds")
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("format")
