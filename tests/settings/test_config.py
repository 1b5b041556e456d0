"""rungway.yaml: interpolation, validation, and errors that name the file, line and fix."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rungway.errors import ConfigError
from rungway.providers.registry import create_provider
from rungway.settings.config import load_config
from tests.servers import environment, write_config

BASE = """
providers:
  sim:
    type: simulator
models:
  fast:
    provider: sim
    model: gpt-4o-mini-2024-07-18
"""


def test_env_interpolation_with_defaults(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASE + "server:\n  port: ${PORT:-4100}\n  admin_key: ${ADMIN}\n", ADMIN="s3cret")
    assert config.server.port == 4100
    assert config.server.admin_key == "s3cret"


def test_shipped_price_applies_to_snapshot_ids_and_config_overrides(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASE + "prices:\n  gpt-4o-mini:\n    input: 1\n    output: 2\n")
    price = config.price_of(config.models["fast"])
    assert price is not None and price.input == Decimal("1") and price.output == Decimal("2")
    default = write_config(tmp_path, BASE)
    shipped = default.price_of(default.models["fast"])
    assert shipped is not None and shipped.input == Decimal("0.15") and shipped.cached_input == Decimal("0.075")
    assert default.prices.as_of


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (BASE + "modles: {}\n", ["rungway.yaml:9", "modles", "unknown section", "Fix:"]),
        (BASE.replace("provider: sim", "provider: nope"), ["rungway.yaml:7", "models.fast.provider", "nope", "sim"]),
        (BASE + "server:\n  port: eighty\n", ["rungway.yaml:10", "server.port", "whole number"]),
        (BASE + "server:\n  admin_key: ${MISSING_VAR}\n", ["rungway.yaml:10", "MISSING_VAR", "export"]),
        (BASE + "workloads:\n  Bad Name: {}\n", ["workloads.Bad Name", "lowercase"]),
        (BASE + "  bad: [unclosed\n", ["not valid YAML"]),
        (BASE + "counters:\n  backend: redis\n", ["counters.redis_url", "RUNGWAY_REDIS_URL"]),
        (BASE + "prices:\n  x:\n    input: 1\n", ["prices.x", "output"]),
    ],
)
def test_errors_name_file_line_key_and_fix(tmp_path: Path, text: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        write_config(tmp_path, text)
    for fragment in fragments:
        assert fragment in caught.value.message


def test_provider_options_are_validated_by_the_provider(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASE.replace("type: simulator", "type: simulator\n    error_rate: 3"))
    with pytest.raises(ConfigError) as caught:
        create_provider(config.providers["sim"])
    assert "rungway.yaml:3" in caught.value.message and "providers.sim.error_rate" in caught.value.message


def test_unknown_provider_type_lists_known_ones(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASE.replace("type: simulator", "type: gemini-magic"))
    with pytest.raises(ConfigError) as caught:
        create_provider(config.providers["sim"])
    assert "simulator" in caught.value.message and "openai" in caught.value.message


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.yaml", environment())
    assert "--config" in caught.value.message


@pytest.mark.parametrize(
    ("provider", "typo", "meant"),
    [("type: simulator", "latncy_ms: 5", "latency_ms"), ("type: openai", "bse_url: http://x", "base_url")],
)
def test_a_misspelt_provider_option_names_the_provider_line_and_the_option_it_meant(
    tmp_path: Path, provider: str, typo: str, meant: str
) -> None:
    config = write_config(tmp_path, BASE.replace("type: simulator", f"{provider}\n    {typo}"))
    with pytest.raises(ConfigError) as caught:
        create_provider(config.providers["sim"])
    assert caught.value.message.startswith(f"{tmp_path / 'rungway.yaml'}:3: providers.sim.{typo.split(':')[0]}: ")
    assert f"did you mean `{meant}`?" in caught.value.message
