"""Foundation: a key's kind (person or application), and when each request row was stored.

`api_keys.kind`: only a person's key may attest a maturity item; every existing key is an
application's. `requests.recorded_at`: the writer's time when it stored the row, NULL before; rows
stored more than `LATE_WRITE_S` after their call started (a drained backlog, a replayed spill) are
indexed by `ix_requests_late` (a partial index: rows written on time cost the writer nothing), so an
aggregate over closed hours can recount the hours they landed in.

Revision ID: f0067
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0067"
down_revision = "f0066"
branch_labels = None
depends_on = None

LATE_ROW = "recorded_at > ts_start + 300"  # rungway.store.schema.LATE_ROW at the time of this migration


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="application"))
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("recorded_at", sa.Float))
    where = sa.text(LATE_ROW)
    op.create_index("ix_requests_late", "requests", ["recorded_at"], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index("ix_requests_late", "requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("recorded_at")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("kind")
