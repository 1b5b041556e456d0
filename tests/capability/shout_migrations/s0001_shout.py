"""Shout: a table of its own, so a store remembers it was migrated with the capability.

Revision ID: s0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = ("shout",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table("shout_refusals", sa.Column("word", sa.String(64), primary_key=True))


def downgrade() -> None:
    op.drop_table("shout_refusals")
