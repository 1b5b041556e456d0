"""The audit trail: append-only hash-chained records, signed checkpoints, and the chain's head (the append lock).

Revision ID: au0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "au0001"
down_revision = None
branch_labels = ("audit",)
depends_on = "f0001"

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("key_id", sa.String(40)),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("action", sa.String(256), nullable=False),
        sa.Column("object_type", sa.String(64)),
        sa.Column("object_id", sa.String(256)),
        sa.Column("workload", sa.String(64)),
        sa.Column("request", sa.Text),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_records_ts", "audit_records", ["ts"])
    op.create_index("ix_audit_records_workload", "audit_records", ["workload", "seq"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128)),
        sa.Column("key_id", sa.String(32)),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"name": "chain", "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_records")
