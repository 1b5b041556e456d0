"""Foundation: the guardrail hits of a call, on its request-log row.

`requests.guardrails` lists the rules a guardrail policy matched in the call's input or answer, as
`direction:rule:action` entries separated by commas (`input:pii.email:redact,output:secrets.github_token:block`),
bounded to 512 characters; never the matched value. NULL for calls without a hit and rows from before this
revision. A core column, like `prompt_name`, so the assessment's `content_filtering` check and the
dashboard count hits by SQL without importing the guardrails capability.

Revision ID: f0070
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0070"
down_revision = "f0069"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("guardrails", sa.String(512)))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("guardrails")
