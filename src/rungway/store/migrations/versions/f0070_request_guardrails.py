"""Foundation: the guardrail hits of a call, on its request-log row.

`requests.guardrails` lists the rules a guardrail policy matched in the call's input or answer, as
`direction:rule:action` entries separated by commas (`input:pii.email:redact,output:secrets.github_token:block`),
bounded to 512 characters; never the matched value. NULL for calls without a hit and rows from before this
revision. A core column, like `prompt_name`, so the assessment's `content_filtering` check and the
dashboard count hits by SQL without importing the guardrails capability. Only calls with a hit enter the
partial index `ix_requests_guardrails` (workload, time), so reading a window's hits skips the other calls.

Revision ID: f0070
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0070"
down_revision = "f0069"
branch_labels = None
depends_on = None


WITH_HITS = "guardrails IS NOT NULL"  # rungway.store.schema.WITH_GUARDRAIL_HITS at the time of this migration


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("guardrails", sa.String(512)))
    where = sa.text(WITH_HITS)
    op.create_index(
        "ix_requests_guardrails", "requests", ["workload", "ts_start"], sqlite_where=where, postgresql_where=where
    )


def downgrade() -> None:
    op.drop_index("ix_requests_guardrails", "requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("guardrails")
