"""Prompts: prompts, their immutable versions, labels, every label move, and reviews.

Revision ID: p0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "p0001"
down_revision = None
branch_labels = ("prompts",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "prompts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("scope", "name", name="uq_prompts_scope_name"),
    )
    op.create_index("ix_prompts_updated_at", "prompts", ["updated_at"])
    op.create_index("ix_prompts_name", "prompts", ["name"])
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("prompt_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("author_key_id", sa.String(40)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("prompt_id", "version", name="uq_prompt_versions_version"),
        sa.UniqueConstraint("prompt_id", "content_hash", name="uq_prompt_versions_hash"),
    )
    op.create_index("ix_prompt_versions_created_at", "prompt_versions", ["created_at"])
    op.create_table(
        "prompt_labels",
        sa.Column("prompt_id", sa.String(40), primary_key=True),
        sa.Column("label", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "prompt_label_moves",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("prompt_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("from_version", sa.Integer),
        sa.Column("to_version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("actor_key_id", sa.String(40)),
        sa.Column("moved_at", sa.Float, nullable=False),
        sa.Column("protected", sa.Boolean, nullable=False),
        sa.Column("approvers", sa.Text, nullable=False),
    )
    op.create_index("ix_prompt_label_moves_prompt", "prompt_label_moves", ["prompt_id", "moved_at"])
    op.create_index("ix_prompt_label_moves_scope", "prompt_label_moves", ["scope", "moved_at"])
    op.create_table(
        "prompt_reviews",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("prompt_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(256), nullable=False),
        sa.Column("reviewer_key_id", sa.String(40)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_prompt_reviews_version", "prompt_reviews", ["prompt_id", "version", "created_at"])


def downgrade() -> None:
    for table in ("prompt_reviews", "prompt_label_moves", "prompt_labels", "prompt_versions", "prompts"):
        op.drop_table(table)
