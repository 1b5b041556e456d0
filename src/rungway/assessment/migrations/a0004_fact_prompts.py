"""Assessment: calls that rendered a registry prompt, rolled up per hour, workload and prompt version.

`assessment_prompt_hourly` (calls, successful chat calls) sits beside `assessment_hourly`, filled
in the same transactions, so the prompt library's evidence (the share of chat calls that rendered a
library prompt, and which versions) reads a roll-up and the main roll-up keeps its grain. The roll-up
is emptied so the next assessment rebuilds both from the request log (a one-off catch-up, as in
a0003): hours rolled up before this revision hold no prompt facts.

Revision ID: a0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0004"
down_revision = "a0003"
branch_labels = None
depends_on = "f0068"


def upgrade() -> None:
    op.create_table(
        "assessment_prompt_hourly",
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("prompt_name", sa.String(128), primary_key=True),
        sa.Column("prompt_version", sa.Integer, primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("ok_chat", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_assessment_prompt_hourly_bucket", "assessment_prompt_hourly", ["bucket"])
    op.execute("DELETE FROM assessment_hourly")
    op.execute("DELETE FROM assessment_rollup_state")


def downgrade() -> None:
    op.drop_index("ix_assessment_prompt_hourly_bucket", "assessment_prompt_hourly")
    op.drop_table("assessment_prompt_hourly")
