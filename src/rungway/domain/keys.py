"""API keys: generation, hashing, and the rules a key enforces.

A key is shown once at creation. The store keeps only its SHA-256 hash and a short visible
prefix (`rw-abcd1234`), enough to recognise it in a list. Keys are 192-bit random, so a fast
hash is safe: there is nothing to brute-force.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass, field

KEY_PREFIX = "rw-"


class Role(enum.StrEnum):
    """What a key may do on the management API. Every active key may call the gateway."""

    ADMIN = "admin"
    DEVELOPER = "developer"
    VIEWER = "viewer"

    def allows(self, needed: Role) -> bool:
        order = [Role.VIEWER, Role.DEVELOPER, Role.ADMIN]
        return order.index(self) >= order.index(needed)


class KeyKind(enum.StrEnum):
    """Who holds a key: a person (may sign off attestations) or an application (serves a workload's calls).

    Existing keys are applications; a person's key is created with `rungway keys create --person`.
    """

    PERSON = "person"
    APPLICATION = "application"


def generate_key() -> str:
    """A new secret key: `rw-` + 8 visible characters + 32 secret characters."""
    return KEY_PREFIX + secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")[:40]


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def visible_prefix(secret: str) -> str:
    return secret[: len(KEY_PREFIX) + 8]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as the gateway sees it: who it belongs to and what it may do."""

    id: str
    prefix: str
    key_hash: str
    name: str
    workload: str
    owner: str | None = None
    role: Role = Role.DEVELOPER
    allowed_models: tuple[str, ...] = ()
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    created_at: float = 0.0
    expires_at: float | None = None
    revoked_at: float | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    kind: KeyKind = KeyKind.APPLICATION

    def is_active(self, now: float) -> bool:
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return not (self.expires_at is not None and self.expires_at <= now)

    def may_use(self, model: str) -> bool:
        return not self.allowed_models or model in self.allowed_models
