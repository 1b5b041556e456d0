"""What store-backed commands share (`cli/options.py`): ages, the store URL's precedence, opening it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from rungway.audit.config import AUDIT_SECTION, AuditSettings
from rungway.cli.options import AgeOption, command_config, config_file, database_url, open_store
from rungway.errors import ConfigError
from rungway.settings.config import DEFAULT_DATABASE_URL
from rungway.store.workloads import list_workloads

CONFIG = "store:\n  url: {url}\n"


@pytest.mark.parametrize(("value", "seconds"), [("30d", 30 * 86400), ("12h", 12 * 3600), ("2w", 14 * 86400),
                                                ("7", 7 * 86400), ("0.5", 43200), (3, 3 * 86400)])  # fmt: skip
def test_an_age_is_a_duration_or_a_bare_number_of_days(value: object, seconds: float) -> None:
    assert AgeOption().convert(value, None, None) == seconds


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", ""])
def test_a_bad_age_says_how_to_write_one(value: str) -> None:
    with pytest.raises(click.BadParameter, match=r"is not an age: write e\.g\. 30d, 12h or 2w"):
        AgeOption().convert(value, None, None)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("RUNGWAY_DATABASE_URL", "RUNGWAY_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_database_url_comes_from_the_environment_first(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "rungway.yaml").write_text(CONFIG.format(url="sqlite:///from-file.db"))
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", "sqlite:///from-env.db")
    assert database_url(None) == "sqlite:///from-env.db"


def test_then_from_the_config_named_then_from_rungway_yaml_here_then_the_default(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert database_url(None) == DEFAULT_DATABASE_URL
    (clean_env / "rungway.yaml").write_text(CONFIG.format(url="sqlite:///here.db"))
    assert database_url(None) == "sqlite:///here.db"
    (clean_env / "other.yaml").write_text(CONFIG.format(url="sqlite:///other.db"))
    monkeypatch.setenv("RUNGWAY_CONFIG", str(clean_env / "other.yaml"))
    assert database_url(None) == "sqlite:///other.db"
    (clean_env / "given.yaml").write_text(CONFIG.format(url="sqlite:///given.db"))
    assert database_url(str(clean_env / "given.yaml")) == "sqlite:///given.db"


def test_open_store_migrates_a_fresh_database(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", f"sqlite:///{clean_env}/fresh.db")
    assert list_workloads(open_store(None)) == []


def test_an_unreachable_store_names_it_without_its_password_and_says_how_to_fix_it(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", "postgresql://ann:hunter2@127.0.0.1:1/db?connect_timeout=2")
    with pytest.raises(ConfigError) as caught:
        open_store(None)
    message = caught.value.message
    assert message.startswith("cannot open the store at postgresql://ann:***@127.0.0.1:1/db")
    assert "hunter2" not in message and "Fix: start the database or set RUNGWAY_DATABASE_URL" in message


def test_the_config_file_is_the_option_then_the_environment_then_the_working_directory(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_file(None) is None
    assert command_config(None).section(AUDIT_SECTION) == AuditSettings()  # every default without a file
    (clean_env / "rungway.yaml").write_text("audit:\n  retention_days: 30\n")
    assert config_file(None) == "rungway.yaml"
    assert command_config(None).section(AUDIT_SECTION).retention_days == 30
    other = clean_env / "other.yaml"
    other.write_text("audit:\n  retention_days: 7\n")
    monkeypatch.setenv("RUNGWAY_CONFIG", str(other))
    assert command_config(None).section(AUDIT_SECTION).retention_days == 7
    assert config_file("given.yaml") == "given.yaml"
