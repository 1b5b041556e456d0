"""Online evaluation: the scorers attached to workloads and the hourly counts of what they sampled, scored and spent.

Revision ID: o0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "o0001"
down_revision = None
branch_labels = ("online_evals",)
depends_on = "f0001"


def upgrade() -> None:
    op.create_table(
        "online_eval_scorers",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workload", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("sample", sa.Float, nullable=False),
        sa.Column("filter", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256)),
        sa.UniqueConstraint("workload", "name", name="uq_online_eval_scorers_name"),
    )
    op.create_table(
        "online_eval_counts",
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("scorer_id", sa.String(40), primary_key=True),  # "*": the workload's calls, once each
        sa.Column("hour", sa.BigInteger, primary_key=True),  # epoch hour (UTC)
        sa.Column("matched", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("sampled", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("scored", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("dropped", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("capped", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("errors", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("cost_nano", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_online_eval_counts_hour", "online_eval_counts", ["workload", "hour"])


def downgrade() -> None:
    op.drop_table("online_eval_counts")
    op.drop_table("online_eval_scorers")
