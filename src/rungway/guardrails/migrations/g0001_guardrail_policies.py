"""Guardrails: which filter rules were in force for each workload, and when (evidence for `content_filtering`).

Revision ID: g0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0001"
down_revision = None
branch_labels = ("guardrails",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "guardrail_policies",
        sa.Column("workload", sa.String(64), primary_key=True),  # "*": the default policy
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("detector", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("first_seen", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("guardrail_policies")
