"""Foundation: the registry prompt a call referenced, on its request-log row.

`requests.prompt_name` and `requests.prompt_version` name the prompt version a chat completion
rendered from a `"prompt": {"id": ...}` reference (the prompts capability's step sets them); NULL
for every other call and for rows from before this revision. They are core columns, like the
model, so usage, cost and the assessment can count calls per prompt version without joining a
capability's tables. `ix_requests_prompt` is partial: calls without a prompt cost the writer no
index entry.

Revision ID: f0068
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0068"
down_revision = "f0180"
branch_labels = None
depends_on = None

WITH_PROMPT = "prompt_name IS NOT NULL"  # rungway.store.schema.WITH_PROMPT at the time of this migration


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("prompt_name", sa.String(128)))
        batch.add_column(sa.Column("prompt_version", sa.Integer))
    where = sa.text(WITH_PROMPT)
    op.create_index(
        "ix_requests_prompt",
        "requests",
        ["prompt_name", "ts_start"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_requests_prompt", "requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("prompt_version")
        batch.drop_column("prompt_name")
