"""The documentation matches the code: README examples run, and the configuration reference is exact.

- every `rungway ...` line in a README code block runs against a fresh store, in document order
  (a line with a placeholder such as `01a2...4e` is parsed with its command's options instead);
- the command synopses in docs/*.md name commands and options that exist;
- every key the configuration parsers accept is in README.md's reference, and every key the
  reference lists is accepted (the list comes from the parsers, see tests/settings/known_keys.py);
- every configuration example (YAML or indented blocks in README.md and docs/*.md, examples/rungway.yaml)
  passes `config check`;
- every CLI command and environment variable is mentioned.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from tests.settings.known_keys import accepted_key_paths

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))}
REFERENCE = README[README.index("## Configuration reference") :]


def code_blocks(text: str, languages: tuple[str, ...]) -> list[str]:
    return [m.group(2) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M) if m.group(1) in languages]


def indented_config_blocks(text: str) -> list[str]:
    """Markdown code blocks by indentation that start with a configuration section (`    counters:`)."""
    blocks = re.findall(r"(?:^|\n\n)((?: {4}[a-z_]+:\n)(?: {4}.*\n|\n(?= {4}))*)", text)
    return [re.sub(r"^ {4}", "", block, flags=re.M) for block in blocks]


def rungway_lines(text: str) -> list[str]:
    return [line.strip() for block in code_blocks(text, ("bash", "sh", "")) for line in block.splitlines()
            if line.strip().startswith("rungway ")]  # fmt: skip


def resolve(words: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """(command, its path, the remaining words) for `rungway WORDS`."""
    command: click.Command = cli
    path = []
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        sub = command.get_command(click.Context(command), words[0])
        if sub is None:
            break
        command, path, words = sub, [*path, words[0]], words[1:]
    return command, path, words


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


def test_the_readme_commands_run_in_order_against_a_fresh_store(tmp_path: Path) -> None:
    lines = rungway_lines(README)
    assert any("traces purge" in line for line in lines) and any("budgets set" in line for line in lines)
    env = {"RUNGWAY_DATABASE_URL": f"sqlite:///{tmp_path}/readme.db", "RUNGWAY_CONFIG": None}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # no ./rungway.yaml: the commands see only the fresh store
        for line in lines:
            words = shlex.split(line, comments=True)[1:]
            if any("..." in word for word in words):  # a placeholder id: check the command line parses
                command, path, rest = resolve(words)
                command.make_context(" ".join(["rungway", *path]), rest)
                continue
            result = runner.invoke(cli, words, env=env)
            assert result.exit_code == 0, f"README: `{line}` failed:\n{result.output}{result.exception or ''}"


def _synopsis_options(line: str) -> tuple[list[str], list[str]]:
    """(command words, option names) of a synopsis such as `rungway traces list [--workload W] [--status ok|error]`."""
    words = shlex.split(line, comments=True)[1:]
    command = [w for w in words[:3] if re.fullmatch(r"[a-z][a-z-]*", w)]
    return command, [w.strip("[]").split("=")[0] for w in words if w.strip("[").startswith("-")]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_command_synopses_in_docs_name_real_commands_and_options(name: str) -> None:
    for line in rungway_lines(DOCS[name]):
        words, options = _synopsis_options(line)
        command, path, _ = resolve(words)
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
        unknown = [o for o in options if o not in known]
        assert not unknown, f"docs/{name}: `{line}`: `rungway {' '.join(path)}` has no {', '.join(unknown)}"


def reference_rows() -> set[str]:
    """Key paths the reference tables list; a bare field under a mapping of names becomes `section.<name>.field`."""
    rows, section = set(), ""
    for line in REFERENCE.splitlines():
        heading = re.match(r"### `([a-z_]+)`", line)
        if heading:
            section = heading.group(1)
        cell = re.match(r"\| (`[^|]*`) \|", line)
        if cell and section:
            for key in re.findall(r"`([a-z_.]+(?:<name>[a-z_.]*)*)`", cell.group(1)):
                rows.add(key if "." in key else f"{section}.<name>.{key}")
    return rows


def test_every_key_the_parsers_accept_is_in_the_reference() -> None:
    accepted = accepted_key_paths()
    assert {"server.port", "tracing.export.endpoint", "workloads.<name>.capture", "alerts.attempts"} <= accepted
    missing = sorted(
        path
        for path in accepted
        if "." in path and path.split(".")[-1] != "<name>" and path not in reference_rows()
        and not (path.startswith(("providers.", "prices.")) and f"`{path.split('.')[-1]}`" in REFERENCE)
    )  # fmt: skip
    assert not missing, f"README.md's configuration reference does not document: {', '.join(missing)}"
    sections = {path for path in accepted if "." not in path}
    assert not [s for s in sections if f"`{s}`" not in REFERENCE]


def test_every_key_in_the_reference_is_accepted_by_the_parsers() -> None:
    rows = reference_rows()
    assert len(rows) > 40
    unknown = sorted(rows - accepted_key_paths())
    assert not unknown, f"README.md documents keys no parser reads: {', '.join(unknown)}"


DOCUMENTS = {"README.md": README, **{f"docs/{name}": text for name, text in DOCS.items()}}
CONFIG_EXAMPLES = {
    f"{name} block {i + 1}": block
    for name, text in DOCUMENTS.items()
    for i, block in enumerate([*code_blocks(text, ("yaml", "yml")), *indented_config_blocks(text)])
} | {"examples/rungway.yaml": (ROOT / "examples" / "rungway.yaml").read_text()}


@pytest.mark.parametrize("where", sorted(CONFIG_EXAMPLES))
def test_the_configuration_examples_pass_config_check(tmp_path: Path, where: str) -> None:
    text = CONFIG_EXAMPLES[where]
    (tmp_path / "rungway.yaml").write_text(text)
    env = dict.fromkeys(re.findall(r"\$\{([A-Z_]+)\}", text), "example-value")
    result = CliRunner().invoke(cli, ["config", "check", str(tmp_path / "rungway.yaml")], env=env)
    assert result.exit_code == 0, f"{where}: {result.exception}"


def test_readme_mentions_every_environment_variable() -> None:
    env_source = (ROOT / "src" / "rungway" / "settings" / "env.py").read_text()
    names = set(re.findall(r"\"(RUNGWAY_[A-Z_]+)\"", env_source))
    assert names >= {"RUNGWAY_CONFIG", "RUNGWAY_DATABASE_URL"}
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"README.md does not document: {', '.join(missing)}"


def test_readme_mentions_every_cli_command() -> None:
    paths = command_paths(cli)
    assert ("keys", "create") in paths and ("usage",) in paths
    missing = [" ".join(("rungway", *p)) for p in paths if " ".join(("rungway", *p)) not in README]
    assert not missing, f"README.md does not mention: {', '.join(missing)}"
