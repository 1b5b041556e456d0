"""`rungway online-evals list|add|remove|status` over HTTP to a real gateway; mistakes are one line naming the fix."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.domain.keys import Role
from rungway.errors import Conflict, InvalidRequest, NotFound
from tests.online_evals.support import online_gateway, settle
from tests.servers import Gateway


def test_add_list_status_and_remove(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    server = ["--server", gw.base_url, "--key", gw.create_key("test", role=Role.ADMIN).secret]
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "online-evals",
            "add",
            "concise",
            "--assert",
            '{"type": "word-count", "value": {"max": 500}}',
            "--sample",
            "1",
            "--model",
            "gpt-4o-mini",
            "--tag",
            "tier=gold",
            *server,
        ],
    )
    assert added.exit_code == 0, added.output
    assert "added concise (word-count) to test: 100.00% of matching calls" in added.output
    listed = runner.invoke(cli, ["online-evals", "list", *server])
    assert "concise" in listed.output and "model=gpt-4o-mini" in listed.output and "short" in listed.output
    gold = gw.sdk(gw.create_key("test").secret).with_options(default_headers={"x-rungway-tags": "tier=gold"})
    gold.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    settle(gw)
    status = runner.invoke(cli, ["online-evals", "status", *server])
    assert status.exit_code == 0, status.output
    assert "test: $0.0000 of $1 today, scoring; 1 calls matched" in status.output
    assert "mean concise" in status.output and "online" in status.output
    as_json = json.loads(runner.invoke(cli, ["online-evals", "status", "--json", *server]).output)
    concise = next(s for s in as_json[0]["scorers"] if s["name"] == "concise")
    assert concise["today"]["scored"] == 1
    removed = runner.invoke(cli, ["online-evals", "remove", "concise", *server])
    assert removed.exit_code == 0 and "removed concise" in removed.output
    assert "concise" not in runner.invoke(cli, ["online-evals", "list", *server]).output


def test_mistakes_are_one_line(gateway_factory: Callable[..., Gateway]) -> None:
    gw = online_gateway(gateway_factory)
    server = ["--server", gw.base_url, "--key", gw.create_key("test", role=Role.ADMIN).secret]
    runner = CliRunner()
    not_json = runner.invoke(cli, ["online-evals", "add", "x", "--assert", "{type: contains", *server])
    assert isinstance(not_json.exception, InvalidRequest) and "Fix:" in str(not_json.exception)
    unknown = runner.invoke(
        cli, ["online-evals", "add", "x", "--assert", '{"type": "contians", "value": "a"}', *server]
    )
    assert isinstance(unknown.exception, InvalidRequest) and "did you mean 'contains'" in str(unknown.exception)
    configured = runner.invoke(cli, ["online-evals", "remove", "short", *server])
    assert isinstance(configured.exception, Conflict) and "rungway.yaml" in str(configured.exception)
    missing = runner.invoke(cli, ["online-evals", "remove", "nope", *server])
    assert isinstance(missing.exception, NotFound)
    bad_tag = runner.invoke(
        cli, ["online-evals", "add", "x", "--assert", '{"type": "is-json"}', "--tag", "gold", *server]
    )
    assert isinstance(bad_tag.exception, InvalidRequest) and "NAME=VALUE" in str(bad_tag.exception)
