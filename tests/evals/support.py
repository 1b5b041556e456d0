"""Shared pieces of the evals tests: a server with two workloads, raw HTTP, and the CLI on the same store."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.errors import RungwayError
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

SAMPLES = Path(__file__).parent / "samples"
CONFIG = SIMULATOR_CONFIG.replace(
    "workloads:\n  test:\n    team: qa\n", "workloads:\n  test:\n    team: qa\n  other: {}\n"
)


def server(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    """A gateway with workloads `test` and `other` on the store under test."""
    return gateway_factory(CONFIG, store_url=store_url)


def run_cli(store_url: str, *args: str, stdin: str | None = None) -> Result:
    """`rungway ...` on the same store, as an operator runs it."""
    return CliRunner().invoke(
        cli, list(args), input=stdin, env={"RUNGWAY_DATABASE_URL": store_url, "RUNGWAY_CONFIG": None}
    )


def user_error(result: Result) -> str:
    """The one-line message `rungway` prints for a user mistake (a `RungwayError`; anything else is a bug)."""
    assert result.exit_code == 1 and isinstance(result.exception, RungwayError), (result.output, result.exception)
    return result.exception.message


def get_text(gw: Gateway, path: str, key: str) -> tuple[int, str, str]:
    """(status, content type, body text) of a GET that answers something other than JSON."""
    request = urllib.request.Request(gw.base_url + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()
