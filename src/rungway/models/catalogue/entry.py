"""A catalogue entry: one model name, what it is, what it can do and where it is in its lifecycle.

Typed and frozen so the gateway, the API, the pages and the checks share one shape; the loader
(`load.py`) builds them from the shipped file and the configuration, the view (`view.py`) applies
the store's status changes on top.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from rungway.domain.pricing import Price

__all__ = ["CAPABILITIES", "CatalogueEntry", "ModelStatus", "Source", "entry_dict"]

CAPABILITIES = frozenset({"tools", "json_schema", "vision", "embeddings", "streaming_usage"})
"""What an entry may say a model can do."""

Source = Literal["shipped", "config", "store"]


class ModelStatus(enum.StrEnum):
    """Where a model is in its lifecycle, for this organisation.

    approved: may be used; preview: offered by the provider as a preview (short notice, not for
    production); deprecated: still served, with `Deprecation`/`Sunset` headers and alerts; blocked:
    refused at the gateway with an error naming the successor."""

    APPROVED = "approved"
    PREVIEW = "preview"
    DEPRECATED = "deprecated"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One model name in the catalogue.

    `snapshot` is the pinned upstream id the name stands for; a floating alias (`floating`) has
    none of its own and points at `alias_of`, the snapshot it resolves to today (None when the
    provider does not say). `source` says where the entry's current state came from."""

    name: str
    provider: str
    family: str
    snapshot: str | None = None
    floating: bool = False
    alias_of: str | None = None
    context_window: int | None = None
    max_output: int | None = None
    price: Price | None = None
    capabilities: frozenset[str] = frozenset()
    status: ModelStatus = ModelStatus.APPROVED
    deprecated_on: date | None = None
    sunset_on: date | None = None
    successor: str | None = None
    owner: str | None = None
    source: Source = "shipped"


def _price(price: Price | None) -> dict[str, str] | None:
    if price is None:
        return None
    out = {"input": str(price.input), "output": str(price.output)}
    if price.cached_input is not None:
        out["cached_input"] = str(price.cached_input)
    return out


def entry_dict(entry: CatalogueEntry) -> dict[str, Any]:
    """An entry as JSON (the API, the CLI's --json, the pages)."""
    return {
        "name": entry.name,
        "provider": entry.provider,
        "family": entry.family,
        "snapshot": entry.snapshot,
        "floating": entry.floating,
        "alias_of": entry.alias_of,
        "context_window": entry.context_window,
        "max_output": entry.max_output,
        "price": _price(entry.price),
        "capabilities": sorted(entry.capabilities),
        "status": entry.status.value,
        "deprecated": entry.deprecated_on.isoformat() if entry.deprecated_on else None,
        "sunset": entry.sunset_on.isoformat() if entry.sunset_on else None,
        "successor": entry.successor,
        "owner": entry.owner,
        "source": entry.source,
    }
