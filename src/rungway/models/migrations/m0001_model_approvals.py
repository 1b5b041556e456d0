"""Models: the catalogue's approvals and status changes, every one kept (who, when, evidence, why).

Revision ID: m0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "m0001"
down_revision = "m0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_approvals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("actor_key_id", sa.String(40)),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("evidence_kind", sa.String(16)),
        sa.Column("evidence_id", sa.String(128)),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("deprecated_on", sa.String(10)),
        sa.Column("sunset_on", sa.String(10)),
        sa.Column("successor", sa.String(128)),
    )
    op.create_index("ix_model_approvals_model", "model_approvals", ["model", "at"])
    op.create_index("ix_model_approvals_at", "model_approvals", ["at"])


def downgrade() -> None:
    op.drop_table("model_approvals")
