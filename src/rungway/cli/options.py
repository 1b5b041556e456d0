"""What every store-backed command shares: the `--config` option and opening the store it names.

The CLI works on the database directly (no server needed): the URL comes from
RUNGWAY_DATABASE_URL, else from `store.url` in the config file (`--config`, RUNGWAY_CONFIG or
./rungway.yaml when present), else `sqlite:///./rungway.db`. Migrations run first, so a fresh
database works.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from rungway.capability import migration_packages, registered_sections
from rungway.domain.timespec import DAY, TimeSpecError, parse_duration
from rungway.errors import ConfigError
from rungway.settings.config import DEFAULT_DATABASE_URL, Config, load_config, parse_config
from rungway.settings.env import read_environment
from rungway.settings.yaml_source import YamlSource
from rungway.store.engine import create_store_engine
from rungway.store.migrate import check_store, upgrade

__all__ = ["AgeOption", "check_store_at", "config_option", "database_url", "format_option", "open_store"]

F = TypeVar("F", bound=Callable[..., Any])


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        metavar="FILE",
        help="rungway.yaml whose store.url to use (default: $RUNGWAY_CONFIG, else ./rungway.yaml if present)",
    )(f)


class AgeOption(click.ParamType[float]):
    """An age in seconds, typed as a duration (`30d`, `12h`, `2w`) or, as before, a bare number of days."""

    name = "age"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            days = float(value)
        else:
            text = str(value).strip()
            try:
                days = float(text)
            except ValueError:
                try:
                    return parse_duration(text)
                except TimeSpecError:
                    self.fail(f"{text!r} is not an age: write e.g. 30d, 12h or 2w (a bare number is days)", param, ctx)
        if not days >= 0 or days == float("inf"):
            self.fail(f"{value!r} is not an age: write e.g. 30d, 12h or 2w (a bare number is days)", param, ctx)
        return days * DAY


def format_option(*choices: str) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default=choices[0],
            show_default=True,
            help="Output format",
        )(f)

    return decorate


def config_file(config_path: str | None) -> str | None:
    """The rungway.yaml a command reads: --config, else RUNGWAY_CONFIG, else ./rungway.yaml when there is one."""
    path = config_path or read_environment().config_path
    if path is None and Path("rungway.yaml").is_file():
        path = "rungway.yaml"
    return path


def command_config(config_path: str | None) -> Config:
    """The configuration a command applies: the file `config_file` finds, or every default when there is none."""
    env = read_environment()
    path = config_file(config_path)
    if path is None:
        return parse_config(YamlSource.empty("<defaults>"), env, registered_sections())
    return load_config(path, env, registered_sections())


def database_url(config_path: str | None) -> str:
    """The store URL the CLI should use, by the precedence in this module's docstring."""
    env = read_environment()
    if env.database_url:
        return env.database_url
    path = config_file(config_path)
    if path is not None:
        return load_config(path, env, registered_sections()).database_url
    return DEFAULT_DATABASE_URL


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_store(config_path: str | None) -> Engine:
    """An engine on the configured store, migrated to the newest schema."""
    url = database_url(config_path)
    engine = create_store_engine(url)
    try:
        upgrade(engine, migration_packages())
    except OperationalError as exc:
        raise _unreachable(url, exc) from None
    return engine


def check_store_at(url: str) -> None:
    """Check, reading only, that the store at `url` needs no capability that is not installed here (a SQLite
    file that does not exist yet needs none, and is not made)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or ":memory:").exists():
        return
    engine = create_store_engine(url)
    try:
        check_store(engine, migration_packages())
    except OperationalError as exc:
        raise _unreachable(url, exc) from None
    finally:
        engine.dispose()


def _unreachable(url: str, exc: OperationalError) -> ConfigError:
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return ConfigError(
        f"cannot open the store at {_safe(url)}: {reason}. Fix: start the database or set "
        "RUNGWAY_DATABASE_URL / store.url to one that is reachable"
    )
