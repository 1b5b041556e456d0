"""Models: the branch's empty base; each slice's revision follows it.

Revision ID: m0000
"""

from __future__ import annotations

revision = "m0000"
down_revision = None
branch_labels = ("models",)
depends_on = "f0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
