"""The `forecasts:` section: defaults, values read, and errors naming the file, line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.errors import ConfigError
from rungway.forecasts.config import ForecastSettings, parse_forecasts


def test_defaults_and_values() -> None:
    assert parse_forecasts(None) == ForecastSettings(300.0, 90, 0.8, True)
    assert parse_forecasts({"refresh_s": 60, "history_days": 120, "level": 0.9, "alerts": False}) == ForecastSettings(
        60.0, 120, 0.9, False
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"refresh_s": 0}, "forecasts.refresh_s"),
        ({"refresh_s": True}, "forecasts.refresh_s"),
        ({"history_days": 7}, "forecasts.history_days"),
        ({"history_days": 30.5}, "forecasts.history_days"),
        ({"level": 0.999}, "forecasts.level"),
        ({"alerts": "yes"}, "forecasts.alerts"),
        ({"levle": 0.8}, "levle"),
        ("weekly", "expected a mapping"),
    ],
)
def test_mistakes_name_the_key(section: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_forecasts(section)


def test_config_check_names_the_file_line_key_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "rungway.yaml"
    path.write_text("store:\n  url: sqlite:///x.db\nforecasts:\n  level: 2\n")
    result = CliRunner().invoke(cli, ["config", "check", str(path)])
    assert result.exit_code != 0 and isinstance(result.exception, ConfigError)  # the CLI prints it as one line
    assert str(result.exception) == (f"{path}:4: forecasts.level: expected a number from 0.5 to 0.99, got 2. "
                                     "Fix: write e.g. 0.8")  # fmt: skip
