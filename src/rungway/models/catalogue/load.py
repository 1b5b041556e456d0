"""The catalogue as read: the shipped, dated file merged with `catalogue.entries` from rungway.yaml.

Both go through one parser (`parse_entry`), so the shipped file is held to the rules a user's
entry is: known keys only, dates as ISO dates, a price with `input` and `output`, capabilities
from a fixed list, a deprecated or blocked model's successor in the catalogue. A configured entry
for a shipped name overrides only the keys it sets (`gpt-4o-2024-08-06: {status: blocked}`); a new
name needs its `provider`. Errors name the file, the line, the key path and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from rungway.domain.pricing import Price
from rungway.errors import ConfigError
from rungway.models.catalogue.entry import CAPABILITIES, CatalogueEntry, ModelStatus, Source
from rungway.settings.sections import ConfigMapping, tracked

__all__ = ["SHIPPED_PATH", "Catalogue", "merge_entries", "parse_entry", "shipped_catalogue"]

SHIPPED_PATH = "rungway/models/data/catalogue.json"
MAX_NAME = 128
_KEYS_HINT = "provider, family, snapshot, floating, alias_of, status, context_window, max_output, price, ..."


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every entry by name, and the date the shipped part was last checked against the providers."""

    entries: Mapping[str, CatalogueEntry]
    as_of: date


def _date(data: ConfigMapping, key: str, path: str) -> date | None:
    value = data.get(key)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise data.error(path, f"expected an ISO date, got {value!r}", "write e.g. 2026-06-01") from None


def _count(data: ConfigMapping, key: str, path: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000_000:
        raise data.error(path, f"expected a number of tokens, got {value!r}", "write e.g. 128000")
    return value


def _text(data: ConfigMapping, key: str, path: str, example: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise data.error(path, f"expected a name of 1 to {MAX_NAME} characters, got {value!r}", f"write e.g. {example}")
    return value.strip()


def _usd(raw: ConfigMapping, key: str, path: str) -> Decimal:
    value = raw.get(key)
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) and value is not None else Decimal("NaN")
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise raw.error(f"{path}.{key}", f"expected USD per million tokens (>= 0), got {value!r}", "write e.g. 0.15")
    return amount


def _price(data: ConfigMapping, path: str) -> Price | None:
    raw = data.get("price")
    if raw is None:
        return None
    if not isinstance(raw, ConfigMapping) or "input" not in raw or "output" not in raw:
        raise data.error(
            f"{path}.price", "a price needs `input` and `output`", "write e.g. `{input: 0.15, output: 0.6}`"
        )
    cached = _usd(raw, "cached_input", f"{path}.price") if raw.get("cached_input") is not None else None
    return Price(_usd(raw, "input", f"{path}.price"), _usd(raw, "output", f"{path}.price"), cached)


def _capabilities(data: ConfigMapping, path: str) -> frozenset[str] | None:
    raw = data.get("capabilities")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(c, str) and c in CAPABILITIES for c in raw):
        problem = f"expected a list of capabilities ({', '.join(sorted(CAPABILITIES))}), got {raw!r}"
        raise data.error(f"{path}.capabilities", problem, "write e.g. `[tools, json_schema, streaming_usage]`")
    return frozenset(raw)


def _status(data: ConfigMapping, path: str) -> ModelStatus | None:
    raw = data.get("status")
    if raw is None:
        return None
    try:
        return ModelStatus(raw)
    except ValueError:
        known = ", ".join(s.value for s in ModelStatus)
        raise data.error(f"{path}.status", f"unknown status {raw!r} (one of {known})", "write e.g. approved") from None


def parse_entry(name: str, data: ConfigMapping, base: CatalogueEntry | None, source: Source) -> CatalogueEntry:
    """One entry from a mapping: over `base` (the shipped entry of that name) when there is one."""
    path = data.key_path
    if not name or len(name) > MAX_NAME or any(c.isspace() for c in name):
        raise data.error(path, f"{name!r} is not a model name", f"use up to {MAX_NAME} characters, no spaces")
    provider = _text(data, "provider", f"{path}.provider", "openai")
    if base is None and provider is None:
        raise data.error(f"{path}.provider", "a new catalogue entry needs its provider", "add e.g. `provider: openai`")
    floating = data.get("floating")
    if floating is not None and not isinstance(floating, bool):
        raise data.error(f"{path}.floating", f"expected true or false, got {floating!r}", "write e.g. true")
    start = base if base is not None else CatalogueEntry(name=name, provider=provider or "", family=name)
    changes: dict[str, Any] = {"source": source}
    values: dict[str, Any] = {
        "provider": provider,
        "family": _text(data, "family", f"{path}.family", "gpt-4o"),
        "snapshot": _text(data, "snapshot", f"{path}.snapshot", "gpt-4o-2024-08-06"),
        "floating": floating,
        "alias_of": _text(data, "alias_of", f"{path}.alias_of", "gpt-4o-2024-08-06"),
        "context_window": _count(data, "context_window", f"{path}.context_window"),
        "max_output": _count(data, "max_output", f"{path}.max_output"),
        "price": _price(data, path),
        "capabilities": _capabilities(data, path),
        "status": _status(data, path),
        "deprecated_on": _date(data, "deprecated", f"{path}.deprecated"),
        "sunset_on": _date(data, "sunset", f"{path}.sunset"),
        "successor": _text(data, "successor", f"{path}.successor", "gpt-4.1-2025-04-14"),
        "owner": _text(data, "owner", f"{path}.owner", "platform-team"),
    }
    changes.update({key: value for key, value in values.items() if value is not None})
    if values["alias_of"] is not None and floating is None:
        changes["floating"] = True  # an entry that points at a snapshot is a floating alias
    entry = replace(start, **changes)
    if not entry.floating and entry.snapshot is None:
        entry = replace(entry, snapshot=name)
    if entry.floating and entry.snapshot is not None and base is None:
        raise data.error(f"{path}.snapshot", "a floating alias has no snapshot of its own", "use `alias_of:` instead")
    if entry.alias_of is not None and not entry.floating:
        raise data.error(f"{path}.floating", "an entry with `alias_of` is a floating alias", "write e.g. true")
    if entry.deprecated_on and entry.sunset_on and entry.sunset_on < entry.deprecated_on:
        raise data.error(f"{path}.sunset", "the sunset is before the deprecation", "check both dates")
    data.reject_unknown_keys()
    return entry


def _inherit(entry: CatalogueEntry, entries: Mapping[str, CatalogueEntry]) -> CatalogueEntry:
    """A floating alias shows its snapshot's facts where it sets none of its own."""
    target = entries.get(entry.alias_of) if entry.floating and entry.alias_of else None
    if target is None:
        return entry
    return replace(
        entry,
        context_window=entry.context_window or target.context_window,
        max_output=entry.max_output or target.max_output,
        price=entry.price or target.price,
        capabilities=entry.capabilities or target.capabilities,
    )


def merge_entries(base: Mapping[str, CatalogueEntry], raw: ConfigMapping, source: Source) -> dict[str, CatalogueEntry]:
    """`base` with each entry of `raw` (a mapping of name -> entry) applied, then checked as a whole."""
    merged = dict(base)
    where: dict[str, ConfigMapping] = {}
    for name, value in raw.items():
        item = tracked({} if value is None else value, raw.child_path(str(name)), raw.path)
        if not isinstance(item, ConfigMapping):
            problem = f"expected a mapping, got {type(value).__name__}"
            raise raw.error(raw.child_path(str(name)), problem, f"write e.g. `{{{_KEYS_HINT}}}`")
        if not item.lines and raw.lines:
            item.lines = raw.lines
        merged[str(name)] = parse_entry(str(name), item, base.get(str(name)), source)
        where[str(name)] = item
    for name, entry in merged.items():
        item = where.get(name)
        for key, target in (("successor", entry.successor), ("alias_of", entry.alias_of)):
            if target is not None and target not in merged:
                path = f"{raw.child_path(name)}.{key}"
                problem = f"{target!r} is not in the catalogue (add it under catalogue.entries first)"
                fix = "write e.g. gpt-4.1-2025-04-14" if key == "successor" else "write e.g. gpt-4o-2024-08-06"
                raise (item.error(path, problem, fix) if item is not None else raw.error(path, problem, fix))
    return {name: _inherit(entry, merged) for name, entry in merged.items()}


@cache
def shipped_catalogue() -> Catalogue:
    """The dated catalogue that ships inside the package (checked like a configured one)."""
    raw = json.loads(resources.files("rungway.models.data").joinpath("catalogue.json").read_text())
    try:
        as_of = date.fromisoformat(raw["as_of"])
    except (KeyError, ValueError):
        raise ConfigError(f"{SHIPPED_PATH}: as_of: missing or not a date. Fix: reinstall rungway") from None
    entries = tracked(raw["entries"], "entries", SHIPPED_PATH)
    return Catalogue(merge_entries({}, entries, "shipped"), as_of)
