"""Assessment: imported test and red-team runs; who really attested (the acting key) and "not applicable".

Revision ID: a0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_imports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("tool", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("run_at", sa.Float, nullable=False),
        sa.Column("commit", sa.String(64)),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("passed", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("source_file", sa.String(256), nullable=False),
        sa.Column("imported_at", sa.Float, nullable=False),
        sa.Column("imported_by", sa.String(256), nullable=False),
    )
    op.create_index("ix_assessment_imports_item_at", "assessment_imports", ["workload", "item_id", "run_at"])
    op.create_index("ix_assessment_imports_at", "assessment_imports", ["run_at"])
    with op.batch_alter_table("attestations") as batch:
        batch.add_column(sa.Column("acting_key", sa.String(40)))
        batch.add_column(sa.Column("not_applicable", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("attestations") as batch:
        batch.drop_column("not_applicable")
        batch.drop_column("acting_key")
    op.drop_table("assessment_imports")
