"""The catalogue as read: the shipped file is valid and agrees with the gateway's prices; `catalogue:` extends
and overrides it; every mistake is refused naming the file, the line, the key path and the fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rungway.errors import ConfigError
from rungway.models.catalogue.config import CATALOGUE_SECTION, CatalogueConfig
from rungway.models.catalogue.entry import ModelStatus
from rungway.models.catalogue.load import shipped_catalogue
from rungway.settings.config import shipped_prices
from tests.servers import write_config

BASE = """
providers:
  sim: {type: simulator}
models:
  gpt-4o: {provider: sim, model: gpt-4o-2024-08-06}
"""
PROVIDERS = {"openai", "anthropic", "google", "mistral", "meta", "cohere", "amazon", "deepseek"}


def _catalogue(tmp_path: Path, section: str) -> CatalogueConfig:
    return write_config(tmp_path, BASE + section).section(CATALOGUE_SECTION)


def test_the_shipped_catalogue_is_dated_and_covers_the_major_providers_chat_and_embeddings() -> None:
    shipped = shipped_catalogue()
    assert shipped.as_of == date(2026, 11, 30)
    entries = shipped.entries
    assert {e.provider for e in entries.values()} == PROVIDERS
    assert any("embeddings" in e.capabilities for e in entries.values() if e.provider == "openai")
    alias = entries["gpt-4o"]
    assert alias.floating and alias.alias_of == "gpt-4o-2024-08-06" and alias.snapshot is None
    assert alias.context_window == 128000  # a floating alias shows its snapshot's facts
    pinned = entries["claude-3-7-sonnet-20250219"]
    assert not pinned.floating and pinned.snapshot == "claude-3-7-sonnet-20250219"
    assert pinned.status is ModelStatus.DEPRECATED and pinned.sunset_on == date(2026, 2, 19)
    assert pinned.successor in entries
    for entry in entries.values():
        assert entry.successor is None or entry.successor in entries
        assert entry.alias_of is None or entry.alias_of in entries


def test_the_catalogue_prices_are_the_gateway_prices_for_every_model_in_both() -> None:
    prices = shipped_prices()
    compared = 0
    for name, entry in shipped_catalogue().entries.items():
        gateway = prices.price_of(name)
        if gateway is not None and entry.price is not None:
            assert entry.price == gateway, name
            compared += 1
        if name in prices.prices:  # every model the gateway prices by name is priced in the catalogue
            assert entry.price is not None, name
    assert compared >= 60


def test_config_overrides_a_shipped_entry_and_adds_new_ones(tmp_path: Path) -> None:
    catalogue = _catalogue(
        tmp_path,
        """
catalogue:
  refresh: 10s
  sunset_alerts: [30, 90]
  entries:
    gpt-4o-2024-08-06: {status: blocked, successor: my-model-2026-01-01, owner: platform-team}
    my-model-2026-01-01: {provider: openai, family: my-model, context_window: 128000,
      capabilities: [tools, json_schema], price: {input: 0.15, output: 0.6}, sunset: 2027-06-01}
    my-alias: {provider: openai, floating: true, alias_of: my-model-2026-01-01}
""",
    )
    assert catalogue.refresh_s == 10 and catalogue.sunset_alerts == (90, 30)
    blocked = catalogue.entries["gpt-4o-2024-08-06"]
    assert blocked.status is ModelStatus.BLOCKED and blocked.source == "config"
    assert blocked.context_window == 128000  # kept from the shipped entry
    new = catalogue.entries["my-model-2026-01-01"]
    assert new.snapshot == "my-model-2026-01-01" and new.sunset_on == date(2027, 6, 1)
    assert str(new.price.input) == "0.15" if new.price else False
    assert catalogue.entries["my-alias"].context_window == 128000


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("catalogue:\n  refesh: 10s\n", ":7: catalogue.refesh: unknown key. Fix: did you mean `refresh`?"),
        (
            "catalogue:\n  entries:\n    gpt-4o-2024-08-06: {statuss: blocked}\n",
            ":8: catalogue.entries.gpt-4o-2024-08-06.statuss: unknown key. Fix: did you mean `status`?",
        ),
        (
            "catalogue:\n  entries:\n    gpt-4o-2024-08-06: {status: retired}\n",
            "catalogue.entries.gpt-4o-2024-08-06.status: unknown status 'retired' (one of approved",
        ),
        (
            "catalogue:\n  entries:\n    gpt-4o-2024-08-06: {successor: gpt-9}\n",
            ":8: catalogue.entries.gpt-4o-2024-08-06.successor: 'gpt-9' is not in the catalogue (add it under",
        ),
        (
            "catalogue:\n  entries:\n    x-1: {provider: openai, sunset: next-year}\n",
            "catalogue.entries.x-1.sunset: expected an ISO date, got 'next-year'. Fix: write e.g. 2026-06-01",
        ),
        (
            "catalogue:\n  entries:\n    x-1: {family: x}\n",
            "catalogue.entries.x-1.provider: a new catalogue entry needs its provider. Fix: add e.g. `provider: ",
        ),
        (
            "catalogue:\n  entries:\n    x-1: {provider: openai, capabilities: [telepathy]}\n",
            "catalogue.entries.x-1.capabilities: expected a list of capabilities",
        ),
        (
            "catalogue:\n  entries:\n    x-1: {provider: openai, deprecated: 2026-06-01, sunset: 2026-01-01}\n",
            "catalogue.entries.x-1.sunset: the sunset is before the deprecation",
        ),
        ("catalogue:\n  sunset_alerts: [0]\n", "catalogue.sunset_alerts: expected up to 10 numbers of days"),
    ],
)
def test_mistakes_are_refused_naming_file_line_key_and_fix(tmp_path: Path, section: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        _catalogue(tmp_path, section)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "rungway.yaml")), message
    assert expected in message, message
