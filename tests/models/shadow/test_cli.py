"""`rungway models shadow start|list|show|stop` over HTTP to a real gateway; mistakes are the API's errors."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.domain.keys import Role
from rungway.errors import ConfigError, InvalidRequest, NotFound
from tests.models.shadow.support import settle, start_gateway
from tests.servers import Gateway


def test_start_show_and_stop(gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory)
    key = gw.create_key("test", role=Role.ADMIN).secret
    server = ["--server", gw.base_url, "--key", key]
    runner = CliRunner()
    started = runner.invoke(cli, ["models", "shadow", "start", "--from", "gpt-4o-mini", "--to", "mirror",
                                  "--sample", "1", "--duration", "2h", "--max-in-flight", "50", *server])  # fmt: skip
    assert started.exit_code == 0, started.output
    run_id = started.output.split()[1].rstrip(":")
    assert run_id.startswith("shr_") and "gpt-4o-mini -> mirror" in started.output
    for i in range(3):
        gw.sdk().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
    settle(gw)
    shown = runner.invoke(cli, ["models", "shadow", "show", run_id, *server])
    assert shown.exit_code == 0, shown.output
    assert "pairs 3" in shown.output and "agreement: exact 100.0%" in shown.output and "latency p50" in shown.output
    as_json = runner.invoke(cli, ["models", "shadow", "show", run_id, "--format", "json", *server])
    assert json.loads(as_json.output)["pairs"] == 3
    listed = runner.invoke(cli, ["models", "shadow", "list", "--format", "json", *server])
    assert [r["id"] for r in json.loads(listed.output)] == [run_id]
    stopped = runner.invoke(cli, ["models", "shadow", "stop", *server])
    assert stopped.exit_code == 0 and f"stopped {run_id}" in stopped.output
    again = runner.invoke(cli, ["models", "shadow", "stop", *server])
    assert "no active shadow run" in again.output


def test_mistakes_are_one_line(gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory)
    server = ["--server", gw.base_url, "--key", gw.create_key("test", role=Role.ADMIN).secret]
    runner = CliRunner()
    bad = runner.invoke(cli, ["models", "shadow", "start", "--from", "gpt-4o-mini", "--to", "nope", "--sample", "0.1",
                              *server])  # fmt: skip
    # A RungwayError: `rungway` (cli.main) prints its message as one line and exits 1
    assert isinstance(bad.exception, InvalidRequest) and "no model 'nope'" in str(bad.exception)
    missing = runner.invoke(cli, ["models", "shadow", "show", "shr_missing", *server])
    assert isinstance(missing.exception, NotFound) and "no shadow run" in str(missing.exception)
    away = runner.invoke(cli, ["models", "shadow", "list", "--server", "http://127.0.0.1:9", "--key", "k"])
    assert isinstance(away.exception, ConfigError) and "cannot reach the Rungway server" in str(away.exception)
