"""The prompt library's records: versions, labels, label moves, reviews, and who acted.

These typed values pass between the store, the service, the catalog, the API, the CLI and the
dashboard; none of them does I/O. A version is immutable: its content, hash, message, author and
time never change once stored. Labels point at versions, and every move of a label is a
`LabelMove` that keeps who moved it, when, from where to where, why, and whose approvals let it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from rungway.domain.keys import KeyKind, Role
from rungway.prompts.template import LABEL_PATTERN, NAME_PATTERN, JsonValue, PromptContent

__all__ = [
    "LATEST",
    "SHARED",
    "Actor",
    "Decision",
    "LabelMove",
    "PromptSummary",
    "PromptVersion",
    "Review",
    "VersionCreated",
    "iso",
    "scope_of",
    "valid_label",
    "valid_name",
    "workload_of",
]

LATEST = "latest"
"""The virtual label: always the newest version; it cannot be moved."""
SHARED = ""
"""The store's scope for a shared prompt (not NULL: a UNIQUE over NULL does not stop duplicates in PostgreSQL)."""

Decision = Literal["approve", "reject"]


def valid_name(name: str) -> bool:
    return NAME_PATTERN.fullmatch(name) is not None


def valid_label(label: str) -> bool:
    return LABEL_PATTERN.fullmatch(label) is not None


def scope_of(workload: str | None) -> str:
    """The store's scope column for a workload (None: shared)."""
    return workload or SHARED


def workload_of(scope: str) -> str | None:
    return scope or None


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who creates, reviews or moves: a person (a person key's owner) or an application key.

    `name` is the key's owner when it has one, else the key id; "admin" for the server's admin key.
    Two keys with the same owner are the same person, so an author never approves their own version
    with a second key.
    """

    name: str
    key_id: str | None
    role: Role
    kind: KeyKind | None  # None: the server's admin key, no one's in particular
    workload: str | None = None

    @property
    def is_person(self) -> bool:
        return self.kind is KeyKind.PERSON

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @classmethod
    def server_admin(cls) -> Actor:
        return cls("admin", None, Role.ADMIN, None)


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """One immutable version of a prompt, with the labels that point at it when it was read."""

    name: str
    workload: str | None  # None: shared
    version: int
    content: PromptContent
    content_hash: str
    message: str
    author: str
    author_key_id: str | None
    created_at: float
    labels: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """`name@3`: how errors and logs name the version."""
        return f"{self.name}@{self.version}"

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "workload": self.workload,
            "shared": self.workload is None,
            "version": self.version,
            "hash": self.content_hash,
            "message": self.message,
            "author": self.author,
            "author_key_id": self.author_key_id,
            "created_at": iso(self.created_at),
            "labels": list(self.labels),
            "content": self.content.to_json(),
        }


@dataclass(frozen=True, slots=True)
class VersionCreated:
    """What creating a version did: `created` is False when the same content was already a version."""

    version: PromptVersion
    created: bool


@dataclass(frozen=True, slots=True)
class PromptSummary:
    """A prompt in a list: its newest version and where its labels point."""

    name: str
    workload: str | None
    latest_version: int
    labels: dict[str, int]
    updated_at: float

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "workload": self.workload,
            "shared": self.workload is None,
            "latest_version": self.latest_version,
            "labels": dict(self.labels),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class LabelMove:
    """A label moved: who, when, from which version (None: new label) to which, why, with whose approvals."""

    id: str
    name: str
    workload: str | None
    label: str
    from_version: int | None
    to_version: int
    reason: str
    actor: str
    actor_key_id: str | None
    moved_at: float
    protected: bool
    approvers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "name": self.name,
            "workload": self.workload,
            "label": self.label,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "reason": self.reason,
            "actor": self.actor,
            "actor_key_id": self.actor_key_id,
            "moved_at": iso(self.moved_at),
            "protected": self.protected,
            "approvers": list(self.approvers),
        }


@dataclass(frozen=True, slots=True)
class Review:
    """A person's decision on a version, with their comment; a later decision by the same person replaces it."""

    id: str
    name: str
    workload: str | None
    version: int
    decision: Decision
    comment: str
    reviewer: str
    reviewer_key_id: str | None
    created_at: float

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "name": self.name,
            "workload": self.workload,
            "version": self.version,
            "decision": self.decision,
            "comment": self.comment,
            "reviewer": self.reviewer,
            "reviewer_key_id": self.reviewer_key_id,
            "created_at": iso(self.created_at),
        }
