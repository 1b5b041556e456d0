"""`rungway prompts ...` against a real server over HTTP: create from a file, review, label, history, diff;
no self-approval; mistakes are one line naming the file, the line and the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.domain.keys import KeyKind
from tests.cli.run import rungway
from tests.servers import Gateway

PROMPT = """\
name: support
message: first draft
model: gpt-4o-mini
parameters: {temperature: 0.2, max_tokens: 300}
variables:
  - {name: question, description: what the customer asked}
  - {name: tone, default: friendly}
messages:
  - role: system
    content: You answer for Acme, in a {{tone}} tone.
  - role: user
    content: "{{question}}"
"""


def run(gw: Gateway, key: str, *args: str, ok: bool = True) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    result = CliRunner().invoke(cli, ["prompts", *args], env=env)
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


@pytest.fixture
def people(gateway_factory: Callable[..., Gateway], store_url: str) -> tuple[Gateway, str, str]:
    gw = gateway_factory(store_url=store_url)
    ann = gw.create_key("test", kind=KeyKind.PERSON, owner="ann").secret
    bob = gw.create_key("test", kind=KeyKind.PERSON, owner="bob").secret
    return gw, ann, bob


def test_create_review_label_and_read_back(people: tuple[Gateway, str, str], tmp_path: Path) -> None:
    gw, ann, bob = people
    path = tmp_path / "support.yaml"
    path.write_text(PROMPT)
    assert run(gw, ann, "create", str(path)).output.startswith("created support@1 (test), hash ")
    assert "unchanged: support@1" in run(gw, bob, "create", str(path), "-m", "again").output
    path.write_text(PROMPT.replace("{{question}}", "Question: {{question}}"))
    assert run(gw, ann, "create", str(path), "-m", "label the question").output.startswith("created support@2")

    refused = run(gw, ann, "approve", "support", "2", "-c", "mine, fine", ok=False)
    assert refused.exit_code == 1 and "someone other than its author" in str(refused.exception)
    blocked = run(gw, ann, "label", "support", "production", "2", "--reason", "ship", ok=False)
    assert blocked.exit_code == 1 and "needs 1 approval" in str(blocked.exception)
    assert run(gw, bob, "approve", "support", "2", "-c", "checked the wording").output.strip() == (
        "bob approved support@2: checked the wording"
    )
    moved = run(gw, ann, "label", "support", "production", "2", "-r", "ship it").output.strip()
    assert moved == "support production: nothing -> version 2, approved by bob"
    assert "bob rejected support@1" in run(gw, bob, "reject", "support", "1", "-c", "too long").output

    listed = json.loads(run(gw, bob, "list", "--format", "json").output)
    assert [(p["name"], p["latest_version"], p["labels"]) for p in listed] == [("support", 2, {"production": 2})]
    assert "support" in run(gw, bob, "list").output
    shown = run(gw, bob, "show", "support", "--label", "production").output
    assert "support@2 (test) labels: production" in shown and "Question: {{question}}" in shown
    assert 'variable tone: string, optional, default "friendly"' in shown
    one = json.loads(run(gw, bob, "show", "support", "-v", "1", "--format", "json").output)
    assert one["version"] == 1 and one["message"] == "first draft" and one["author"] == "ann"
    history = json.loads(run(gw, bob, "history", "support", "--format", "json").output)
    assert [v["version"] for v in history["versions"]] == [2, 1]
    assert [(m["label"], m["actor"], m["reason"], m["approvers"]) for m in history["moves"]] == [
        ("production", "ann", "ship it", ["bob"])
    ]
    assert "Label moves of support" in run(gw, bob, "history", "support").output
    diff = run(gw, bob, "diff", "support", "1", "production").output
    assert "message 1 (changed, user -> user)" in diff and "+Question: {{question}}" in diff
    assert "same content" in run(gw, bob, "diff", "support", "2", "2").output


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "name: x\nmessages:\n  - role: user\n    content: [unclosed\n",
            "prompt.yaml:5: not valid YAML or JSON: expected ',' or ']', but got '<stream end>' (while parsing a flow "
            "sequence at line 4)",
        ),
        ("name: x\nmesages: []\n", "prompt.yaml:2: mesages: unknown field"),
        (
            "name: x\nmessages:\n  - role: user\n    content: hi\n  - role: wizard\n    content: x\n",
            "prompt.yaml:5: messages[1].role must be one of",
        ),
        (
            "name: x\nmessages:\n  - role: user\n    content: '{% if vip %}hi{% endif %}'\n",
            "prompt.yaml:4: messages[0].content: '{% if vip %}",
        ),
        (
            "name: x\nmodel: gpt-4o\nparameters:\n  temperature: 7\nmessages:\n  - {role: user, content: hi}\n",
            "prompt.yaml:4: parameters.temperature must be a number from 0 to 2",
        ),
        ("- just a list\n", "prompt.yaml:1: expected a mapping"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_line_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "prompt.yaml"
    path.write_text(text)
    result = rungway(None, "prompts", "create", str(path), "--server", "http://127.0.0.1:9", "--key", "k", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1, error
    assert where in error.replace(str(tmp_path) + "/", ""), error


def test_server_mistakes_and_an_unreachable_server_are_one_line(people: tuple[Gateway, str, str]) -> None:
    gw, ann, _ = people
    missing = rungway(None, "prompts", "show", "nope", "--server", gw.base_url, "--key", ann)
    assert missing.returncode == 1 and missing.stderr.strip().startswith("error: no prompt named 'nope'")
    down = rungway(None, "prompts", "list", "--server", "http://127.0.0.1:9", "--key", ann)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "cannot reach the Rungway server at http://127.0.0.1:9" in down.stderr and "Fix:" in down.stderr
    keyless = rungway(None, "prompts", "list", "--server", gw.base_url)
    assert keyless.returncode == 1 and "RUNGWAY_API_KEY" in keyless.stderr


def test_a_json_file_makes_a_shared_prompt_with_the_admin_key(people: tuple[Gateway, str, str], tmp_path: Path) -> None:
    gw, ann, _ = people
    path = tmp_path / "house.json"
    path.write_text(json.dumps({"messages": [{"role": "system", "content": "Write like {{brand}}."}]}))
    refused = run(gw, ann, "create", str(path), "--name", "house", "--shared", ok=False)
    assert refused.exit_code == 1 and "admin" in str(refused.exception)
    assert run(gw, "admin-secret", "create", str(path), "-n", "house", "--shared").output.startswith(
        "created house@1 (shared)"
    )
    assert "house@1 (shared)" in run(gw, ann, "show", "house").output
