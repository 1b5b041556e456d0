"""Budgets: a 64-bit event threshold on PostgreSQL.

Revision ID: b0064
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0064"
down_revision = "b0001"
branch_labels = None
depends_on = None

# SQLite's INTEGER is already 64-bit; PostgreSQL's INTEGER is 32-bit (a workload tpm of 10^11 or a
# token count past 2^31 failed there and worked on SQLite).
WIDENED = {"budget_events": ("threshold",)}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in WIDENED.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in WIDENED.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger())
