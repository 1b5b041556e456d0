"""Who writes a dataset version or a score, and what that key may touch: the rules datasets and scores share.

The scoping is the prompt library's: a key acts in its own workload only (another workload's records are
"not found", exactly like missing ones), a viewer writes nothing, and shared datasets are written by admin
keys only and read by all.
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.domain.keys import Role
from rungway.errors import PermissionDenied

__all__ = ["Actor"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A key acting: `name` is its owner when it has one, else its id; "admin" for the server's admin key
    (and for the CLI, which works on the store directly)."""

    name: str
    key_id: str | None
    role: Role
    workload: str | None = None

    @classmethod
    def admin(cls, name: str = "admin") -> Actor:
        return cls(name, None, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_writer(self) -> None:
        if not self.role.allows(Role.DEVELOPER):
            raise PermissionDenied(
                f"This needs the developer role; the key has {self.role.value}.", code="insufficient_role"
            )
