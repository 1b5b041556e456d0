"""Caching: stored answers (exact keys and prompt embeddings), semantic hit checks, semantic layer states.

Revision ID: c0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = ("caching",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "cache_entries",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("namespace", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("answer", sa.LargeBinary, nullable=False),
        sa.Column("tokens_in", sa.BigInteger, nullable=False),
        sa.Column("tokens_out", sa.BigInteger, nullable=False),
        sa.Column("tokens_cached", sa.BigInteger, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("strict_hash", sa.String(32), nullable=False),
        sa.Column("prompt_chars", sa.Integer, nullable=False),
        sa.Column("embedding_model", sa.String(128)),
        sa.Column("vector", sa.LargeBinary),
        sa.Column("request_id", sa.String(40)),
        sa.Column("stored_at", sa.Float, nullable=False),
    )
    op.create_index("ix_cache_entries_key", "cache_entries", ["namespace", "key"])
    op.create_index("ix_cache_entries_stored", "cache_entries", ["stored_at"])
    op.create_index("ix_cache_entries_expires", "cache_entries", ["expires_at"])
    op.create_table(
        "cache_hit_checks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("ts", sa.Float, nullable=False),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("cost_nano", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_cache_hit_checks_workload_ts", "cache_hit_checks", ["workload", "ts"])
    op.create_table(
        "cache_semantic_states",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("threshold", sa.Float),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cache_semantic_states")
    op.drop_table("cache_hit_checks")
    op.drop_table("cache_entries")
