"""`rungway serve` and `rungway config check`."""

from __future__ import annotations

import logging

import click

from rungway.settings.config import load_config
from rungway.settings.env import read_environment

DEFAULT_CONFIG = "rungway.yaml"


def _config_path(value: str | None) -> str:
    return value or read_environment().config_path or DEFAULT_CONFIG


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="rungway.yaml (default: $RUNGWAY_CONFIG or ./rungway.yaml)",
)
@click.option("--host", default=None, help="Interface to bind (default: server.host)")
@click.option("--port", type=int, default=None, help="Port to bind; 0 picks a free one (default: server.port)")
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning", "error"]))
def serve_command(config_path: str | None, host: str | None, port: int | None, log_level: str) -> None:
    """Run the gateway and management API."""
    from rungway.server import serve

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config(_config_path(config_path), read_environment())

    def ready(url: str) -> None:
        click.echo(f"Rungway listening on {url}  (OpenAI base URL: {url}/v1)", err=False)

    serve(config, host, port, on_ready=ready)


@click.group("config")
def config_group() -> None:
    """Check configuration files."""


@config_group.command("check")
@click.argument("file", required=False)
def config_check(file: str | None) -> None:
    """Validate FILE (and every provider in it) without starting the server."""
    from rungway.providers.registry import create_provider

    path = _config_path(file)
    config = load_config(path, read_environment())
    for provider in config.providers.values():
        create_provider(provider)
    click.echo(
        f"{path}: OK: {len(config.providers)} providers, {len(config.models)} models, "
        f"{len(config.workloads)} workloads; prices as of {config.prices.as_of}"
    )
