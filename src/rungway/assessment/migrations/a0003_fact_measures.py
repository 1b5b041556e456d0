"""Assessment: the hourly request facts gain the measures the checks now judge by.

End-user attribution, the pin recorded at call time, 429s, clean upstream failures, unhandled
500s and spend (all and attributed to a user). The roll-up is emptied so that the next
assessment rebuilds it from the request log with every measure (a one-off catch-up).

Revision ID: a0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0003"
down_revision = "a0002"
branch_labels = None
depends_on = "f0067"

MEASURES = ("with_end_user", "pinned", "rate_limited", "upstream_errors", "server_errors", "spend", "spend_with_user")


def upgrade() -> None:
    with op.batch_alter_table("assessment_hourly") as batch:
        for name in MEASURES:
            batch.add_column(sa.Column(name, sa.BigInteger, nullable=False, server_default="0"))
    op.execute("DELETE FROM assessment_hourly")
    op.execute("DELETE FROM assessment_rollup_state")


def downgrade() -> None:
    with op.batch_alter_table("assessment_hourly") as batch:
        for name in reversed(MEASURES):
            batch.drop_column(name)
    op.execute("DELETE FROM assessment_hourly")
    op.execute("DELETE FROM assessment_rollup_state")
