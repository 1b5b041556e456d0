"""What pins need of the catalogue, as a small interface: the catalogue slice's `CatalogueView` fits it.

Coding against this Protocol keeps pins free of the catalogue's modules (tests use a tiny in-memory
catalogue); without any catalogue, `PinResolver` falls back to the naming rule (`is_dated_snapshot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["APPROVED_STATUSES", "CatalogueEntryLike", "CatalogueLookup"]

APPROVED_STATUSES = frozenset({"approved", "deprecated"})
"""Catalogue statuses an `approved_only` workload may call (deprecated still serves, with headers)."""


class CatalogueEntryLike(Protocol):
    """The fields of a catalogue entry pins read."""

    @property
    def name(self) -> str: ...

    @property
    def floating(self) -> bool: ...

    @property
    def alias_of(self) -> str | None: ...

    @property
    def status(self) -> str: ...


class CatalogueLookup(Protocol):
    """The catalogue as pins see it: one entry by name, and every entry (to name alternatives)."""

    def entry(self, name: str) -> CatalogueEntryLike | None: ...

    def entries(self) -> Sequence[CatalogueEntryLike]: ...
