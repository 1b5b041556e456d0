"""The `catalogue:` section of rungway.yaml: extend or override the shipped catalogue.

    catalogue:
      refresh: 30s                      # how often each server re-reads approvals and status changes
      sunset_alerts: [90, 60, 30]       # days before a sunset that owners are alerted (models in use)
      entries:
        my-model-2025-01-01: {provider: openai, family: my-model, status: approved,
          context_window: 128000, capabilities: [tools, json_schema, streaming_usage],
          deprecated: 2026-01-01, sunset: 2026-06-01, successor: my-model-2026-01-01,
          owner: platform-team, price: {input: 0.15, output: 0.6}}
        gpt-4o: {floating: true, alias_of: gpt-4o-2024-08-06}

The entries are merged over the shipped catalogue when the file is read, so `rungway config check`
refuses a successor that does not exist before any server starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from rungway.domain.timespec import positive_duration
from rungway.models.catalogue.entry import CatalogueEntry
from rungway.models.catalogue.load import merge_entries, shipped_catalogue
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["CATALOGUE_SECTION", "CatalogueConfig", "parse_catalogue"]

DEFAULT_THRESHOLDS = (90, 60, 30)


@dataclass(frozen=True, slots=True)
class CatalogueConfig:
    """The merged catalogue (shipped + configured), its date, the refresh interval and the sunset alert days."""

    entries: Mapping[str, CatalogueEntry] = field(default_factory=dict)
    as_of: date = date(1970, 1, 1)
    refresh_s: float = 30.0
    sunset_alerts: tuple[int, ...] = DEFAULT_THRESHOLDS


def _thresholds(data: ConfigMapping) -> tuple[int, ...]:
    raw = data.get("sunset_alerts")
    if raw is None:
        return DEFAULT_THRESHOLDS
    ok = isinstance(raw, list) and len(raw) <= 10
    if ok and all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 730 for d in raw):
        return tuple(sorted(set(raw), reverse=True))
    raise data.error(
        "catalogue.sunset_alerts",
        f"expected up to 10 numbers of days (1..730), got {raw!r}",
        "write e.g. `[90, 60, 30]`",
    )


def parse_catalogue(raw: object, source: str = "rungway.yaml") -> CatalogueConfig:
    """Validate `catalogue:` and merge its entries over the shipped catalogue."""
    data = tracked({} if raw is None else raw, "catalogue", source)
    if not isinstance(data, ConfigMapping):
        data = ConfigMapping({}, "catalogue", source)
        raise data.error("catalogue", f"expected a mapping, got {type(raw).__name__}", "write e.g. `refresh: 30s`")
    refresh = positive_duration(data.get("refresh", 30))
    if refresh is None or not 0.05 <= refresh <= 86_400:
        problem = f"expected a duration from 0.05s to 24h, got {data.get('refresh')!r}"
        raise data.error("catalogue.refresh", problem, "write e.g. 30s")
    entries = data.get("entries")
    if entries is None:
        entries = ConfigMapping({}, "catalogue.entries", source, data.lines)
    if not isinstance(entries, ConfigMapping):
        problem = f"expected a mapping of model names, got {type(entries).__name__}"
        raise data.error("catalogue.entries", problem, "write e.g. `gpt-4o-2024-08-06: {status: blocked}`")
    shipped = shipped_catalogue()
    merged = merge_entries(shipped.entries, entries, "config")
    thresholds = _thresholds(data)
    data.reject_unknown_keys()
    return CatalogueConfig(merged, shipped.as_of, refresh, thresholds)


CATALOGUE_SECTION = ConfigSection("catalogue", parse_catalogue)
"""`catalogue:` in rungway.yaml."""
