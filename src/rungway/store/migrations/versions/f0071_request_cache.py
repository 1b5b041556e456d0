"""Foundation: whether a cache answered the call, on its request-log row.

`requests.cache` names the layer that answered (`exact`, `semantic`), `cache_similarity` a semantic hit's
similarity, and `cost_saved_nano` what the call the hit replayed had cost: the upstream call it avoided.
NULL for calls no cache answered and rows from before this revision. Core columns, like `guardrails`, so
savings reports and the assessment read hits by SQL without importing the caching capability. Only hits
enter the partial index `ix_requests_cache` (workload, time).

Revision ID: f0071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0071"
down_revision = "f0070"
branch_labels = None
depends_on = None


CACHE_HIT = "cache IS NOT NULL"  # rungway.store.schema.CACHE_HIT at the time of this migration


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("cache", sa.String(16)))
        batch.add_column(sa.Column("cache_similarity", sa.Float))
        batch.add_column(sa.Column("cost_saved_nano", sa.BigInteger))
    where = sa.text(CACHE_HIT)
    op.create_index(
        "ix_requests_cache", "requests", ["workload", "ts_start"], sqlite_where=where, postgresql_where=where
    )


def downgrade() -> None:
    op.drop_index("ix_requests_cache", "requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("cost_saved_nano")
        batch.drop_column("cache_similarity")
        batch.drop_column("cache")
