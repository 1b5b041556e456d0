"""Budgets: the request log says when a call's upstream-reported usage was corrected before pricing.

Rows written before usage was bounded may hold absurd figures (an upstream reporting 10^17 tokens);
they are capped here as the gateway now caps them (tokens at 2^31-1, cost at 2^53-1 nano-dollars,
nothing negative) and flagged, so that sums over the log (cost reports, usage) cannot overflow.

Revision ID: b0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0002"
down_revision = "b0001"
branch_labels = None
depends_on = "f0001"

MAX_TOKENS = 2**31 - 1
MAX_COST_NANO = 2**53 - 1
NOTE = "absurd figures capped by migration b0002"


def upgrade() -> None:
    # The column belongs to the core's request log: the foundation branch adds it too (f0065), for a
    # store without this capability; whichever of the two runs first adds it.
    if "usage_anomaly" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("requests")}:
        with op.batch_alter_table("requests") as batch:
            batch.add_column(sa.Column("usage_anomaly", sa.String(200)))
    tokens = ("tokens_in", "tokens_out", "tokens_cached")
    capped = ", ".join(
        f"{c} = CASE WHEN {c} > :max_tokens THEN :max_tokens WHEN {c} < 0 THEN 0 ELSE {c} END" for c in tokens
    )
    absurd = " OR ".join(f"{c} > :max_tokens OR {c} < 0" for c in tokens)
    op.execute(
        sa.text(
            f"UPDATE requests SET {capped}, "
            "cost_nano = CASE WHEN cost_nano > :max_cost THEN :max_cost WHEN cost_nano < 0 THEN 0 ELSE cost_nano END, "
            f"usage_anomaly = :note WHERE cost_nano > :max_cost OR cost_nano < 0 OR {absurd}"
        ).bindparams(max_tokens=MAX_TOKENS, max_cost=MAX_COST_NANO, note=NOTE)
    )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("usage_anomaly")
