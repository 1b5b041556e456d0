"""README.md mentions every configuration section and key that settings/config.py parses, and every CLI command.

The lists come from the code at test time (the config parser's source and the click command tree),
so a new key or command fails this test until it is documented.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click

import rungway.settings.config as config_module
from rungway.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _config_tree() -> ast.Module:
    return ast.parse(Path(config_module.__file__).read_text())


def config_sections() -> set[str]:
    for node in ast.walk(_config_tree()):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "_SECTIONS" for t in targets):
                assert node.value is not None
                return {
                    e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)
                }
    raise AssertionError("settings/config.py no longer defines _SECTIONS")


def config_keys(sections: set[str]) -> set[str]:
    """Literal key paths such as "server.host" passed to the parser's readers."""
    found = set()
    for call in ast.walk(_config_tree()):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id.startswith("_")):
            continue
        for node in call.args:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = re.fullmatch(r"([a-z_]+)\.([a-z_]+)", node.value)
                if match and match.group(1) in sections:
                    found.add(node.value)
    return found


def per_entry_fields() -> set[str]:
    """Fields read under a named entry: f"{key_path}.capture" gives `capture`."""
    found = set()
    for node in ast.walk(_config_tree()):
        if isinstance(node, ast.JoinedStr) and node.values:
            last = node.values[-1]
            if isinstance(last, ast.Constant) and isinstance(last.value, str):
                match = re.fullmatch(r"\.([a-z_]+)", last.value)
                if match:
                    found.add(match.group(1))
    return found


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        if isinstance(command, click.Group) and command.commands:
            if command.invoke_without_command:
                paths.append(path)
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_the_walkers_find_what_they_should() -> None:
    sections = config_sections()
    assert {"server", "store", "providers", "models"} <= sections
    assert {"server.port", "store.url", "counters.backend", "recorder.queue_size"} <= config_keys(sections)
    assert {"capture", "risk_tier", "provider"} <= per_entry_fields()
    assert ("keys", "create") in command_paths(cli) and ("usage",) in command_paths(cli)


def test_readme_mentions_every_config_section_and_key() -> None:
    sections = config_sections()
    missing = [f"`{s}`" for s in sorted(sections) if f"`{s}`" not in README and f"`{s}:`" not in README]
    missing += [k for k in sorted(config_keys(sections)) if f"`{k}`" not in README]
    missing += [f"`{f}`" for f in sorted(per_entry_fields()) if f"`{f}`" not in README]
    assert not missing, f"README.md does not document: {', '.join(missing)}"


def test_readme_mentions_every_environment_variable() -> None:
    env_source = (ROOT / "src" / "rungway" / "settings" / "env.py").read_text()
    names = set(re.findall(r"\"(RUNGWAY_[A-Z_]+)\"", env_source))
    assert names >= {"RUNGWAY_CONFIG", "RUNGWAY_DATABASE_URL"}
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"README.md does not document: {', '.join(missing)}"


def test_readme_mentions_every_cli_command() -> None:
    missing = [" ".join(("rungway", *p)) for p in command_paths(cli) if " ".join(("rungway", *p)) not in README]
    assert not missing, f"README.md does not mention: {', '.join(missing)}"
