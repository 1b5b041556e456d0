"""Evals: datasets, their immutable versions and each version's cases.

Revision ID: e0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e0001"
down_revision = None
branch_labels = ("evals",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "eval_datasets",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("scope", "name", name="uq_eval_datasets_scope_name"),
    )
    op.create_index("ix_eval_datasets_name", "eval_datasets", ["name"])
    op.create_table(
        "eval_dataset_versions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("dataset_id", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("case_count", sa.Integer, nullable=False),
        sa.Column("default_assertions", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("author_key_id", sa.String(40)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("dataset_id", "version", name="uq_eval_dataset_versions_version"),
        sa.UniqueConstraint("dataset_id", "content_hash", name="uq_eval_dataset_versions_hash"),
    )
    op.create_index("ix_eval_dataset_versions_created_at", "eval_dataset_versions", ["created_at"])
    op.create_table(
        "eval_cases",
        sa.Column("version_id", sa.String(40), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("vars", sa.Text, nullable=False),
        sa.Column("messages", sa.Text),
        sa.Column("expected", sa.Text),
        sa.Column("assertions", sa.Text, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("source_trace_id", sa.String(32)),
        sa.UniqueConstraint("version_id", "case_key", name="uq_eval_cases_key"),
    )
    op.create_index("ix_eval_cases_trace", "eval_cases", ["source_trace_id"])


def downgrade() -> None:
    for table in ("eval_cases", "eval_dataset_versions", "eval_datasets"):
        op.drop_table(table)
