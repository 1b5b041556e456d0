"""Foundation: where a call went, on its request-log row: deployment, routing rule, tries, failover.

`requests.deployment` names the deployment (a `models:` entry or a routed deployment) that served the
call, or the last one tried when every try failed; `route_rule` the routing rule that chose the plan
(NULL: the default route); `attempts` the tries actually sent upstream (0: the call never reached
one; a deployment skipped as unhealthy is not a try); `failed_over` whether the call was served or
failed on another deployment than the plan's first. NULL for rows from before this revision. They are
core columns so the models capability's checks and incident records count failovers by SQL.

Revision ID: f0069
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f0069"
down_revision = "f0068"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("deployment", sa.String(128)))
        batch.add_column(sa.Column("route_rule", sa.String(128)))
        batch.add_column(sa.Column("attempts", sa.Integer))
        batch.add_column(sa.Column("failed_over", sa.Boolean))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("failed_over")
        batch.drop_column("attempts")
        batch.drop_column("route_rule")
        batch.drop_column("deployment")
