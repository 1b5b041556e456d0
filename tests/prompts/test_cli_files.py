"""`rungway prompts push|pull|import` against a real server on both stores: round trips, idempotence, `--check`
exit codes, labels (never moved by a push; protected ones left for review by an import), and errors naming
file and line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.domain.keys import KeyKind
from tests.api.http import ADMIN, call
from tests.cli.run import rungway
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

SAMPLES = Path(__file__).parent / "samples"
CONFIG = (
    SIMULATOR_CONFIG
    + """  support:
    team: care
prompts:
  protected_labels: [production]
  approvals_required: 1
"""
)


class Served:
    """A server, a developer's key in workload `support`, and the CLI pointed at both."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.key = gw.create_key("support", kind=KeyKind.PERSON, owner="ann").secret

    def run(self, *args: str, key: str | None = None) -> str:
        """`rungway ARGS` in this process; the test fails on a non-zero exit."""
        result = CliRunner().invoke(cli, [*args, "--server", self.gw.base_url, "--key", key or self.key])
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.output

    def json(self, *args: str, key: str | None = None) -> Any:
        return json.loads(self.run(*args, "--format", "json", key=key))

    def process(self, *args: str) -> Any:
        """`rungway ARGS` as its own process, like CI runs it: exit code and one-line errors included."""
        return rungway(None, *args, "--server", self.gw.base_url, "--key", self.key)

    def get(self, path: str) -> Any:
        status, answer = call(self.gw, "GET", path, self.key)
        assert status == 200, answer
        return answer


@pytest.fixture
def served(gateway_factory: Callable[..., Gateway], store_url: str) -> Served:
    return Served(gateway_factory(CONFIG, store_url=store_url))


def test_push_creates_each_prompt_once_and_moves_no_label(served: Served, tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    shutil.copytree(SAMPLES / "files", folder)
    first = served.json("prompts", "push", str(folder), "-w", "support")
    assert [(row["name"], row["status"], row["version"], row["created"]) for row in first] == [
        ("greeting", "new", 1, True),
        ("one-liner", "new", 1, True),
        ("support-answer", "new", 1, True),
    ]
    answer = served.get("/api/prompts/support-answer")
    assert answer["workload"] == "support" and answer["labels"] == []
    assert answer["message"] == "Shorter answers"  # the file's `message:`
    assert answer["content"]["model"] == "gpt-4o-mini" and answer["content"]["parameters"]["max_tokens"] == 400
    again = served.json("prompts", "push", str(folder))
    assert {row["status"] for row in again} == {"unchanged"} and not any(row["created"] for row in again)
    assert [v["version"] for v in served.get("/api/prompts/greeting/versions")["data"]] == [1]
    assert served.get("/api/prompts-policy")["protected_labels"] == ["production"]


def test_push_check_exits_1_listing_what_differs_and_0_when_in_step(served: Served, tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    shutil.copytree(SAMPLES / "files", folder)
    before = served.process("prompts", "push", str(folder), "--check")
    assert before.returncode == 1 and "Traceback" not in before.stderr
    assert before.stdout.count("not in the registry") == 3
    assert len(before.stderr.strip().splitlines()) == 1 and "Fix: push them" in before.stderr
    served.run("prompts", "push", str(folder), "-m", "from CI")
    assert served.get("/api/prompts/greeting")["message"] == "from CI"  # --message wins over the file's
    in_step = served.process("prompts", "push", str(folder), "--check")
    assert in_step.returncode == 0, in_step.stderr
    edited = folder / "one-liner.md"
    edited.write_text(edited.read_text().replace("one line", "one short line"))
    after = served.process("prompts", "push", str(folder), "--check")
    assert after.returncode == 1
    assert "changed    one-liner" in after.stdout and "differs from v1" in after.stdout
    assert str(edited) in after.stderr and "greeting" not in after.stderr
    assert served.get("/api/prompts/one-liner")["version"] == 1  # --check wrote nothing


def test_pull_writes_files_that_push_back_unchanged_and_a_second_pull_leaves_alone(
    served: Served, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(SAMPLES / "files", source)
    served.run("prompts", "push", str(source))
    fresh = tmp_path / "fresh"
    pulled = served.json("prompts", "pull", str(fresh))
    assert [(row["name"], row["written"]) for row in pulled] == [
        ("greeting", True),
        ("one-liner", True),
        ("support-answer", True),
    ]
    assert sorted(p.name for p in fresh.iterdir()) == ["greeting.yaml", "one-liner.yaml", "support-answer.yaml"]
    assert "workload: support\n" in (fresh / "greeting.yaml").read_text()
    assert served.process("prompts", "push", str(fresh), "--check").returncode == 0
    assert {row["status"] for row in served.json("prompts", "push", str(fresh))} == {"unchanged"}
    again = served.json("prompts", "pull", str(fresh))
    assert not any(row["written"] for row in again)
    # Pulling into the folder the files came from keeps each in its own file and format: nothing changes.
    before = {p.name: p.read_text() for p in source.iterdir()}
    assert not any(row["written"] for row in served.json("prompts", "pull", str(source)))
    assert {p.name: p.read_text() for p in source.iterdir()} == before


def test_pull_by_label_writes_only_the_labelled_versions(served: Served, tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    shutil.copytree(SAMPLES / "files", folder)
    served.run("prompts", "push", str(folder))
    served.run("prompts", "label", "greeting", "staging", "1", "--reason", "try it")
    edited = folder / "greeting.md"
    edited.write_text(edited.read_text().replace("warmly", "briefly"))
    served.run("prompts", "push", str(folder))
    out = tmp_path / "staging"
    rows = served.json("prompts", "pull", str(out), "--label", "staging")
    assert [(row["name"], row["version"], row["written"]) for row in rows if not row["skipped"]] == [
        ("greeting", 1, True)
    ]
    assert "warmly" in (out / "greeting.yaml").read_text()
    assert sorted(row["name"] for row in rows if row["skipped"]) == ["one-liner", "support-answer"]


def test_langfuse_import_moves_unprotected_labels_and_leaves_production_for_review(served: Served) -> None:
    files = [str(SAMPLES / "langfuse" / "export.json"), str(SAMPLES / "langfuse" / "chat_prompt.json")]
    rows = served.json("prompts", "import", *files, "--from", "langfuse")
    assert [(r["name"], r["version"], r["created"]) for r in rows] == [
        ("movie-critic", 1, True),
        ("movie-critic", 2, True),
        ("triage", 1, True),
        ("support.answer", 1, True),
    ]
    assert rows[0]["labels_for_review"] == ["production"] and rows[1]["labels_moved"] == ["staging"]
    assert rows[3]["labels_moved"] == ["staging"] and rows[3]["labels_for_review"] == ["production"]
    assert any("supported_languages" in note for note in rows[3]["notes"])
    listed = {p["name"]: p["labels"] for p in served.get("/api/prompts")["data"]}
    assert listed == {"movie-critic": {"staging": 2}, "support.answer": {"staging": 1}, "triage": {}}
    assert served.get("/api/prompts/movie-critic?version=1")["message"] == "First version"
    text = served.run("prompts", "import", *files, "--from", "langfuse")
    assert "0 version(s) created, 4 already there; 2 label(s) await review" in text
    assert "rungway prompts approve movie-critic 1" in text
    assert [m["label"] for m in served.get("/api/prompts/movie-critic/moves")["data"]] == ["staging"]


def test_promptfoo_import_of_a_config_creates_each_prompt(served: Served) -> None:
    rows = served.json("prompts", "import", str(SAMPLES / "promptfoo" / "promptfooconfig.yaml"), "--from", "promptfoo")
    assert [r["name"] for r in rows] == [
        "promptfooconfig-1",
        "translate-1",
        "translate-2",
        "translate-3",
        "Translator-persona",
        "support_answer",
    ]
    persona = served.get("/api/prompts/Translator-persona")
    assert [m["role"] for m in persona["content"]["messages"]] == ["system", "user"]
    assert [v["name"] for v in persona["content"]["variables"]] == ["language", "text"]


def test_shared_prompts_push_and_pull_with_an_admin_key(served: Served, tmp_path: Path) -> None:
    folder = tmp_path / "house"
    folder.mkdir()
    (folder / "tone.yaml").write_text("shared: true\nmessages:\n  - role: system\n    content: Be kind.\n")
    refused = served.process("prompts", "push", str(folder))
    assert refused.returncode == 1 and str(folder / "tone.yaml") in refused.stderr
    served.run("prompts", "push", str(folder), key=ADMIN)
    rows = served.json("prompts", "pull", str(tmp_path / "copy"), "--shared")
    assert [(r["name"], r["written"]) for r in rows] == [("tone", True)]
    assert (tmp_path / "copy" / "tone.yaml").read_text().startswith("name: tone\nshared: true\n")


def test_mistakes_are_one_line_naming_file_line_and_fix(served: Served, tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    bad = folder / "bad.yaml"
    bad.write_text(
        "model: gpt-4o-mini\nmessages:\n  - role: user\n    content: |\n      Hi\n      {% if vip %}!{% endif %}\n"
    )
    for args in (("push", str(folder)), ("push", str(folder), "--check")):
        result = served.process("prompts", *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines() == [result.stderr.strip()]
        assert f"{bad}:6: " in result.stderr and "Fix: " in result.stderr
    logic = SAMPLES / "promptfoo" / "conditional.txt"
    result = served.process("prompts", "import", str(logic), "--from", "promptfoo")
    assert result.returncode == 1 and f"{logic}:4: " in result.stderr and "{% if premium %}" in result.stderr
    result = served.process("prompts", "import", str(SAMPLES / "langfuse" / "placeholder.json"), "--from", "langfuse")
    assert result.returncode == 1 and "placeholder.json:7: " in result.stderr
    assert served.get("/api/prompts")["data"] == []  # nothing was created by the refused imports
