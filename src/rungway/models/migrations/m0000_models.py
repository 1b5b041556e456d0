"""Models: the branch's empty base, so each part of the capability chains its own revision on it.

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
