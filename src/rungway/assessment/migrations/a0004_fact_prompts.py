"""Assessment: the hourly request facts are grouped by the registry prompt version each call rendered too.

`assessment_hourly` gains `prompt_name` ("" for a call without a registry prompt) and `prompt_version`
(0 without one) in its primary key, so the prompt library's evidence (the share of chat calls that
rendered a library prompt, and which versions) reads the roll-up, not the request log. A primary key
cannot be altered in place on SQLite, so the table is made again; the roll-up is emptied and the next
assessment rebuilds it from the request log (a one-off catch-up, as in a0003).

Revision ID: a0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a0004"
down_revision = "a0003"
branch_labels = None
depends_on = "f0068"

MEASURES = (
    "calls", "ok_calls", "ok_chat", "traced", "with_user", "ok_priced", "with_account", "errors", "with_latency",
    "with_end_user", "pinned", "rate_limited", "upstream_errors", "server_errors", "spend", "spend_with_user",
)  # fmt: skip


def _create(with_prompt: bool) -> None:
    prompt: list[sa.Column[object]] = [
        sa.Column("prompt_name", sa.String(128), primary_key=True, server_default=""),
        sa.Column("prompt_version", sa.Integer, primary_key=True, server_default="0"),
    ]
    op.create_table(
        "assessment_hourly",
        sa.Column("bucket", sa.Float, primary_key=True),
        sa.Column("workload", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("model_resolved", sa.String(128), primary_key=True),
        *(prompt if with_prompt else []),
        *(sa.Column(m, sa.BigInteger, nullable=False, server_default="0") for m in MEASURES),
    )
    op.create_index("ix_assessment_hourly_bucket", "assessment_hourly", ["bucket"])


def upgrade() -> None:
    op.drop_index("ix_assessment_hourly_bucket", "assessment_hourly")
    op.drop_table("assessment_hourly")
    _create(with_prompt=True)
    op.execute("DELETE FROM assessment_rollup_state")


def downgrade() -> None:
    op.drop_index("ix_assessment_hourly_bucket", "assessment_hourly")
    op.drop_table("assessment_hourly")
    _create(with_prompt=False)
    op.execute("DELETE FROM assessment_rollup_state")
