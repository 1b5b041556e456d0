"""User mistakes print one line naming the problem and the fix, exit 1, and show no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.run import rungway


def _one_line_error(result: object, *needles: str) -> None:
    assert result.returncode == 1, result  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("keys", "revoke", "key_nope"), ("key_nope", "rungway keys list")),
        (("keys", "create", "-w", "Bad Name"), ("invalid workload name",)),
        (("keys", "update", "key_nope", "--rpm", "5"), ("key_nope", "rungway keys list")),
        (("keys", "update", "key_nope", "--rpm", "ten"), ("--rpm", "ten", "none", "rungway keys update --help")),
        (("keys", "update", "key_nope", "--expires", "soon"), ("--expires", "soon", "never")),
        (("keys", "update", "key_nope"), ("nothing to change",)),
        (("keys", "create", "-w", "ok", "--expires-in", "soon"), ("soon", "30m")),
        (("logs", "query", "--since", "yesterday"), ("yesterday", "7d")),
        (("workloads", "update", "nope", "--rpm", "5"), ("nope",)),
        (("keys", "create", "-w", "ok", "--role", "boss"), ("--role", "boss", "rungway keys create --help")),
        (("traces", "show"), ("TRACE_ID", "rungway traces show --help")),
        (("nope",), ("nope", "rungway --help")),
    ],
)
def test_mistakes_are_one_line_errors(sqlite_url: str, args: tuple[str, ...], needles: tuple[str, ...]) -> None:
    _one_line_error(rungway(sqlite_url, *args), *needles)


def test_missing_config_file_names_the_file_and_fix(tmp_path: Path) -> None:
    _one_line_error(rungway(None, "keys", "list", "--config", "missing.yaml", cwd=tmp_path), "missing.yaml", "Fix")


def test_bad_config_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "rungway.yaml").write_text("store:\n  url: sqlite:///x.db\nsurprise: 1\n")
    _one_line_error(rungway(None, "workloads", "list", cwd=tmp_path), "rungway.yaml", "surprise")


def test_unreachable_database_is_a_one_line_error() -> None:
    result = rungway("postgresql://nobody:hunter2@127.0.0.1:1/none", "keys", "list")
    _one_line_error(result, "cannot open the store", "Fix")
    assert "hunter2" not in result.stderr


def test_config_file_in_the_working_directory_picks_the_store(tmp_path: Path) -> None:
    (tmp_path / "rungway.yaml").write_text("store:\n  url: sqlite:///./picked.db\n")
    assert rungway(None, "workloads", "list", cwd=tmp_path).returncode == 0
    assert (tmp_path / "picked.db").exists()


def test_a_command_group_alone_still_shows_its_help() -> None:
    result = rungway(None, "keys")
    assert "Usage: rungway keys" in result.stdout + result.stderr and "create" in result.stdout + result.stderr


def _fake_capabilities(monkeypatch: pytest.MonkeyPatch, cli_paths: dict[str, str]) -> None:
    import rungway.capability as capability_module
    from rungway.capability import Capability, Installed

    made = (
        Capability("owner", lambda host: Installed(), cli={"cost": "rungway.budgets.cost_cli:cost_group"}),
        Capability("adder", lambda host: Installed(), cli=cli_paths),
    )
    monkeypatch.setattr(capability_module, "load_capabilities", lambda: made)


def test_a_capability_adds_a_subcommand_to_another_capabilitys_group() -> None:
    result = rungway(None, "cost", "--help")
    assert result.returncode == 0 and "savings" in result.stdout and "report" in result.stdout


@pytest.mark.parametrize(
    ("paths", "needle"),
    [
        ({"keys extra": "rungway.caching.cli:savings_command"}, "loads no capability"),
        ({"nothing extra": "rungway.caching.cli:savings_command"}, "no installed capability has the group `nothing`"),
        ({"cost report": "rungway.caching.cli:savings_command"}, "`cost report` exists twice"),
    ],
)
def test_a_subcommand_without_its_group_or_clashing_is_refused(
    monkeypatch: pytest.MonkeyPatch, paths: dict[str, str], needle: str
) -> None:
    from click.testing import CliRunner

    from rungway.cli.main import COMMANDS, LazyGroup
    from rungway.errors import RungwayError

    _fake_capabilities(monkeypatch, paths)
    group = LazyGroup("rungway", lazy=COMMANDS)
    result = CliRunner().invoke(group, ["cost", "--help"])
    assert isinstance(result.exception, RungwayError) and needle in result.exception.message, result.output
