"""The lifecycle gate's exact answers: RFC 9745 `Deprecation`, RFC 8594 `Sunset`, the successor `Link`, the
refusal of a blocked model naming its successor, and nothing for a name the catalogue does not know."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from rungway.errors import PermissionDenied
from rungway.models.catalogue.config import CatalogueConfig, parse_catalogue
from rungway.models.catalogue.entry import ModelStatus
from rungway.models.catalogue.lifecycle import CatalogueLifecycle, deprecation_value, sunset_value
from rungway.models.catalogue.view import CatalogueView
from rungway.settings.config import ModelRoute


def _config(entries: str = "") -> CatalogueConfig:
    import yaml

    return parse_catalogue(yaml.safe_load(f"entries:\n{entries}") if entries else None)


def test_header_values_follow_the_rfcs_exactly() -> None:
    assert deprecation_value(date(2026, 10, 14)) == "@1791936000"  # 2026-10-14T00:00:00Z in Unix seconds
    assert sunset_value(date(2027, 1, 14)) == "Thu, 14 Jan 2027 00:00:00 GMT"  # IMF-fixdate


def test_a_deprecated_model_gets_deprecation_sunset_and_successor_link() -> None:
    gate = CatalogueLifecycle(CatalogueView(_config()))
    assert dict(gate.admit("claude-3-7-sonnet-20250219", 0)) == {
        "Deprecation": "@1761609600",
        "Sunset": "Thu, 19 Feb 2026 00:00:00 GMT",
        "Link": '</v1/models/claude-sonnet-4-5-20250929>; rel="successor-version"',
    }


def test_a_floating_alias_answers_for_its_snapshot_and_a_route_for_its_upstream_model() -> None:
    routes = {"support-model": ModelRoute("support-model", "sim", "gpt-4o-2024-08-06")}
    gate = CatalogueLifecycle(CatalogueView(_config()), routes)
    snapshot = dict(gate.admit("gpt-4o-2024-08-06", 0))
    assert snapshot == {"Deprecation": "@1791936000", "Sunset": "Thu, 14 Jan 2027 00:00:00 GMT"}
    assert dict(gate.admit("gpt-4o", 0)) == snapshot
    assert dict(gate.admit("support-model", 0)) == snapshot


def test_an_approved_model_with_an_announced_sunset_gets_sunset_alone_and_unknown_names_nothing() -> None:
    gate = CatalogueLifecycle(CatalogueView(_config()))
    assert dict(gate.admit("gemini-2.5-pro", 0)) == {
        "Sunset": "Wed, 17 Jun 2026 00:00:00 GMT",
        "Link": '</v1/models/gemini-3-pro-preview>; rel="successor-version"',
    }
    assert gate.admit("claude-sonnet-4-5-20250929", 0) == {}
    assert gate.admit("my-private-model", 0) == {}


def test_a_deprecated_shipped_model_without_an_announcement_date_carries_the_catalogue_date() -> None:
    gate = CatalogueLifecycle(CatalogueView(_config()))
    assert gate.admit("o1-2024-12-17", 0)["Deprecation"] == deprecation_value(date(2026, 11, 30))


def test_a_blocked_model_is_refused_with_403_model_blocked_naming_the_successor() -> None:
    view = CatalogueView(_config("  gpt-4o-mini-2024-07-18: {status: blocked, successor: gpt-4.1-mini-2025-04-14}\n"))
    gate = CatalogueLifecycle(view)
    with pytest.raises(PermissionDenied) as err:
        gate.admit("gpt-4o-mini", 0)  # the alias of a blocked snapshot
    assert err.value.status == 403 and err.value.code == "model_blocked"
    assert "`gpt-4o-mini` is blocked" in str(err.value) and "Use `gpt-4.1-mini-2025-04-14` instead" in str(err.value)


def test_decisions_are_recomputed_when_the_view_changes() -> None:
    view = CatalogueView(_config())
    gate = CatalogueLifecycle(view)
    assert gate.admit("claude-sonnet-4-5-20250929", 0) == {}
    entry = view.entry("claude-sonnet-4-5-20250929")
    assert entry is not None
    view._entries["claude-sonnet-4-5-20250929"] = replace(entry, status=ModelStatus.BLOCKED)
    view.version += 1
    with pytest.raises(PermissionDenied):
        gate.admit("claude-sonnet-4-5-20250929", 0)


def test_pins_see_an_alias_resolve_only_to_a_snapshot_that_a_route_serves() -> None:
    from rungway.models.catalogue.view import RoutableCatalogue

    view = CatalogueView(_config())
    served = RoutableCatalogue(view, {"gpt-4o": object(), "gpt-4o-2024-08-06": object()})
    assert (served.entry("gpt-4o") or pytest.fail()).alias_of == "gpt-4o-2024-08-06"
    only_alias = RoutableCatalogue(view, {"gpt-4o-mini": object()})  # the alias's own route serves it
    alias = only_alias.entry("gpt-4o-mini")
    assert alias is not None and alias.floating and alias.alias_of is None
    assert only_alias.entry("nope") is None and len(only_alias.entries()) == len(view.entries())
