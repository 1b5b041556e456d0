"""`rungway serve` and `rungway config check` accept exactly the same files, and say plainly why not."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.errors import ConfigError
from rungway.server import create_app
from tests.cli.run import rungway
from tests.servers import write_config

BASE = """
store:
  url: sqlite:///./fresh.db
providers:
  sim: {type: simulator}
models:
  fast: {provider: sim}
"""

# One mistake per section that `serve` refuses; the old `config check` passed all of them.
SECTION_MISTAKES = {
    "tracing": ("tracing:\n  queue_size: lots\n", "tracing.queue_size"),
    "tracing.export": ("tracing:\n  export: {endpoint: collector:4318}\n", "tracing.export.endpoint"),
    "budgets": ("budgets:\n  default_max_tokens: -5\n", "budgets.default_max_tokens"),
    "alerts": ("alerts:\n  webhook_url: not-a-url\n", "alerts.webhook_url"),
    "assessment": ("assessment:\n  interval: weekly\n", "assessment.interval"),
    "server": ("server:\n  admin_kye: secret\n", "server.admin_kye"),
    "counters": ("counters:\n  backnd: redis\n", "counters.backnd"),
    "workloads": ("workloads:\n  w:\n    rmp: 5\n", "workloads.w.rmp"),
    "store": ("", "mysql://db/x"),  # with store.url replaced below
    "counters.redis_url": ("counters:\n  backend: redis\n  redis_url: http://cache:6379\n", "http://cache:6379"),
}


def _one_line_error(stderr: str, *needles: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("section", sorted(SECTION_MISTAKES))
def test_config_check_refuses_what_serve_refuses_in_every_section(tmp_path: Path, section: str) -> None:
    text, key_path = SECTION_MISTAKES[section]
    base = BASE.replace("sqlite:///./fresh.db", "mysql://db/x") if section == "store" else BASE
    (tmp_path / "rungway.yaml").write_text(base + text)
    result = CliRunner().invoke(cli, ["config", "check", str(tmp_path / "rungway.yaml")])
    assert result.exit_code == 1, result.output
    assert key_path in str(result.exception), result.exception


def test_config_check_passes_a_file_with_every_capability_section(tmp_path: Path) -> None:
    sections = "tracing: {retention_days: 7}\nbudgets: {default_max_tokens: 1000}\nalerts: {attempts: 2}\n"
    (tmp_path / "rungway.yaml").write_text(BASE + sections + "assessment: {interval: 1d}\n")
    result = CliRunner().invoke(cli, ["config", "check", str(tmp_path / "rungway.yaml")])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


@pytest.mark.parametrize("section", ["tracing", "assessment", "server"])
def test_serve_refuses_a_bad_file_before_it_creates_or_migrates_the_store(tmp_path: Path, section: str) -> None:
    text, key_path = SECTION_MISTAKES[section]
    (tmp_path / "rungway.yaml").write_text(BASE + text)
    result = rungway(None, "serve", "--config", "rungway.yaml", "--port", "0", cwd=tmp_path)
    assert result.returncode == 1
    _one_line_error(result.stderr, "rungway.yaml:", key_path, "Fix:")
    assert not (tmp_path / "fresh.db").exists(), "the store was created for a config serve refused"


def test_serve_on_a_busy_port_is_one_line_naming_the_port_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "rungway.yaml").write_text(BASE)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = rungway(None, "serve", "--config", "rungway.yaml", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 1
    _one_line_error(result.stderr, f"127.0.0.1:{port}", "in use", "Fix:", "--port")
    assert not (tmp_path / "fresh.db").exists(), "the store was created although the server could not listen"


def test_serve_on_an_address_not_on_this_machine_is_one_line_before_the_store_is_touched(tmp_path: Path) -> None:
    (tmp_path / "rungway.yaml").write_text(BASE)
    result = rungway(None, "serve", "--config", "rungway.yaml", "--host", "192.0.2.1", "--port", "0", cwd=tmp_path)
    assert result.returncode == 1
    _one_line_error(result.stderr, "192.0.2.1", "Fix:", "--host")
    assert not (tmp_path / "fresh.db").exists()


def test_building_a_server_from_a_refused_config_never_touches_the_store(tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(ConfigError, match=r"tracing\.batch_size"):  # capability sections are parsed on load
        create_app(write_config(tmp_path, BASE.replace("./fresh.db", str(db)) + "tracing:\n  batch_size: 0\n"))
    assert not db.exists()
