"""Foundation: 64-bit limits and token counts on PostgreSQL.

Revision ID: f0064
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0064"
down_revision = "f0001"
branch_labels = None
depends_on = None

# SQLite's INTEGER is already 64-bit; PostgreSQL's INTEGER is 32-bit (a workload tpm of 10^11 or a
# token count past 2^31 failed there and worked on SQLite).
WIDENED = {
    "workloads": ("retention_days", "rpm_limit", "tpm_limit"),
    "api_keys": ("rpm_limit", "tpm_limit"),
    "requests": ("tokens_in", "tokens_out", "tokens_cached"),
}


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
