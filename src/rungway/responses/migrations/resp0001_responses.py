"""Stored responses of the Responses API: per workload, their input items and the response, for a retention.

Revision ID: resp0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "resp0001"
down_revision = None
branch_labels = ("responses",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "responses_stored",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("input_items", sa.Text, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
    )
    op.create_index("ix_responses_stored_created", "responses_stored", ["created_at"])


def downgrade() -> None:
    op.drop_table("responses_stored")
