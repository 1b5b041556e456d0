"""`rungway serve` and `rungway config check`: both validate the whole file with the same parsers."""

from __future__ import annotations

import errno
import logging
import socket

import click

from rungway.capability import registered_sections
from rungway.cli.options import check_store_at
from rungway.errors import ConfigError
from rungway.services.config_check import check_config
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
    config = check_config(load_config(_config_path(config_path), read_environment(), registered_sections())).config

    def ready(url: str) -> None:
        click.echo(f"Rungway listening on {url}  (OpenAI base URL: {url}/v1)", err=False)

    bind_host = host or config.server.host
    bind_port = config.server.port if port is None else port
    try:
        _probe_listen(bind_host, bind_port)  # before the store is opened, so a busy port changes nothing
        serve(config, bind_host, bind_port, on_ready=ready)
    except OSError as exc:
        raise _listen_error(exc, bind_host, bind_port, from_option=port is not None) from None


def _probe_listen(host: str, port: int) -> None:
    """Bind the address the way the server will (SO_REUSEADDR) and let go; OSError when it cannot."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def _listen_error(exc: OSError, host: str, port: int, from_option: bool) -> ConfigError | OSError:
    """One line for the mistakes a user makes when choosing where to listen; anything else stays a bug."""
    setting = "--port" if from_option else "server.port"
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(
            f"cannot listen on {host}:{port}: the port is in use by another process. "
            f"Fix: stop that process, or pick another port with {setting} (0 picks a free one)"
        )
    if exc.errno == errno.EACCES:
        return ConfigError(
            f"cannot listen on {host}:{port}: permission denied (ports below 1024 need privileges). "
            f"Fix: use a port from 1024 up with {setting}"
        )
    if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. "
            "Fix: use an address of this machine with --host or server.host (e.g. 127.0.0.1 or 0.0.0.0)"
        )
    return exc


@click.group("config")
def config_group() -> None:
    """Check configuration files."""


@config_group.command("check")
@click.argument("file", required=False)
@click.option(
    "--store",
    "with_store",
    is_flag=True,
    help="Also read the configured store: refused if it was migrated with a capability not installed here",
)
def config_check(file: str | None, with_store: bool) -> None:
    """Validate FILE (every section, every provider) as `serve` would, without starting the server."""
    path = _config_path(file)
    config = check_config(load_config(path, read_environment(), registered_sections())).config
    if with_store:
        check_store_at(config.database_url)
    click.echo(
        f"{path}: OK: {len(config.providers)} providers, {len(config.models)} models, "
        f"{len(config.workloads)} workloads; prices as of {config.prices.as_of}"
        + ("; the store needs no capability missing here" if with_store else "")
    )
