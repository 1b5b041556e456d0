"""Prompt files: both formats read, errors name file, line and fix, and writing is stable and round-trips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rungway.prompts.files import (
    PromptFile,
    PromptFileError,
    dump_prompt_file,
    parse_prompt_file,
    read_prompt_dir,
    read_prompt_file,
    write_prompt_file,
)
from rungway.prompts.template import PromptContent

SAMPLES = Path(__file__).parent / "samples" / "files"


def test_yaml_file_reads_every_key() -> None:
    prompt = read_prompt_file(SAMPLES / "support-answer.yaml")
    assert (prompt.name, prompt.workload, prompt.shared) == ("support-answer", "support", False)
    assert prompt.description == "The answer the support bot gives."
    assert prompt.commit_message == "Shorter answers"
    content = prompt.content
    assert content.model == "gpt-4o-mini"
    assert content.parameters.temperature == 0.2 and content.parameters.max_tokens == 400
    assert [m.role for m in content.messages] == ["system", "user"]
    assert content.messages[0].content == (
        "You are the support assistant for {{product}}.\nAnswer in at most three sentences.\n"
    )
    rendered = content.render({"question": "How?"}, ref="support-answer@1")
    assert rendered.messages[0]["content"].startswith("You are the support assistant for Rungway.")


def test_markdown_sections_are_messages_and_other_headings_are_text() -> None:
    prompt = read_prompt_file(SAMPLES / "greeting.md")
    assert prompt.name == "greeting" and prompt.content.parameters.temperature == 0.7
    system, user = prompt.content.messages
    assert system.role == "system"
    assert system.content == "You greet customers of {{product}} warmly.\n# Tone\nFriendly, never pushy."
    assert (user.role, user.name, user.content) == ("user", "visitor", "Say hello to {{customer}}.")


def test_markdown_without_headings_or_front_matter_is_one_user_message_named_by_the_file() -> None:
    prompt = read_prompt_file(SAMPLES / "one-liner.md")
    assert prompt.name == "one-liner" and prompt.workload is None
    assert [(m.role, m.content) for m in prompt.content.messages] == [("user", "Summarize in one line: {{text}}")]


@pytest.mark.parametrize("name", ["support-answer.yaml", "greeting.md", "one-liner.md"])
def test_written_file_reads_back_the_same_and_writes_the_same_bytes(name: str, tmp_path: Path) -> None:
    original = read_prompt_file(SAMPLES / name)
    target = tmp_path / name
    assert write_prompt_file(original, target) is True
    again = read_prompt_file(target)
    assert again.content.content_hash() == original.content.content_hash()
    assert (again.name, again.workload, again.description) == (original.name, original.workload, original.description)
    assert write_prompt_file(again, target) is False  # nothing changed: git stays clean
    assert dump_prompt_file(again, markdown=target.suffix == ".md") == target.read_text()


def test_yaml_is_block_style_with_literal_blocks_and_no_commit_message() -> None:
    text = dump_prompt_file(read_prompt_file(SAMPLES / "support-answer.yaml"))
    assert "    content: |\n      You are the support assistant for {{product}}.\n" in text
    assert "{" not in text.replace("{{", "").replace("}}", "").replace("'{", "")
    assert "message:" not in text and "messages:" in text
    assert text.splitlines()[0] == "name: support-answer"


def test_implicit_variables_stay_implicit_and_declared_order_is_kept() -> None:
    content = PromptContent.from_json(
        {
            "messages": [{"role": "user", "content": "{{a}} {{b}}"}],
            "variables": [{"name": "b"}, {"name": "a", "type": "integer"}],
        }
    )
    text = dump_prompt_file(PromptFile("p", None, content, None, "p.yaml"))
    back = parse_prompt_file(text, "p.yaml", markdown=False)
    assert [v.name for v in back.content.variables] == ["b", "a"]
    assert back.content.content_hash() == content.content_hash()
    plain = PromptContent.from_json({"messages": [{"role": "user", "content": "{{x}}"}]})
    assert "variables" not in dump_prompt_file(PromptFile("q", None, plain, None, "q.yaml"))


def test_shared_prompt_file_says_shared() -> None:
    content = PromptContent.from_json({"messages": [{"role": "system", "content": "Be kind."}]})
    text = dump_prompt_file(PromptFile("tone", None, content, None, "tone.yaml", shared=True))
    assert "shared: true" in text and "workload" not in text
    assert parse_prompt_file(text, "tone.yaml", markdown=False).shared


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("model: m\nmesages:\n  - role: user\n", 2, "did you mean `messages`"),
        ("model: m\nmessages:\n  - role: user\n   content: x\n", 4, "not valid YAML"),
        ("messages:\n  - role: user\n    content: hi\n  - role: bot\n    content: x\n", 4, "role must be one of"),
        ("messages:\n  - role: user\n    content: |\n      Hi\n      {% if vip %}VIP{% endif %}\n", 5, "{{name}} only"),
        ("messages:\n  - role: user\n    content: '{{ q | upper }}'\n", 3, "template logic"),
        ("name: 'bad name'\nmessages:\n  - {role: user, content: hi}\n", 1, "not valid"),
        ("workload: a\nshared: true\nmessages:\n  - {role: user, content: hi}\n", 2, "either shared"),
        ("base: &b {role: user, content: hi}\nmessages:\n  - *b\n", 1, "aliases"),
        ("parameters:\n  temperature: 9\nmessages:\n  - {role: user, content: hi}\n", 2, "temperature"),
    ],
)
def test_yaml_errors_name_file_line_and_fix(text: str, line: int, words: str) -> None:
    with pytest.raises(PromptFileError) as caught:
        parse_prompt_file(text, "prompts/p.yaml", markdown=False)
    message = caught.value.message
    assert message.startswith(f"prompts/p.yaml:{line}: "), message
    assert "Fix: " in message
    assert words in message or (words == "{{name}} only" and "only {{name}} placeholders" in message)


def test_markdown_errors_point_at_the_body_line() -> None:
    text = "---\nmodel: m\n---\n\n## system\n\nBe brief.\n\n## user\n\nAsk {{ q }}\nthen {% for x in y %}\n"
    with pytest.raises(PromptFileError, match=r"^p\.md:12: .*template logic"):
        parse_prompt_file(text, "p.md", markdown=True)
    with pytest.raises(PromptFileError, match=r"^p\.md:2: .*Markdown prompt keeps its messages in the body"):
        parse_prompt_file("---\nmessages: []\n---\nhi\n", "p.md", markdown=True)
    with pytest.raises(PromptFileError, match=r"^p\.md:1: .*no closing"):
        parse_prompt_file("---\nmodel: m\nhi\n", "p.md", markdown=True)
    with pytest.raises(PromptFileError, match=r"^p\.md:4: text before the first"):
        parse_prompt_file("---\nmodel: m\n---\nstray\n## user\nhi\n", "p.md", markdown=True)


def test_markdown_refuses_text_it_cannot_write_exactly() -> None:
    content = PromptContent.from_json({"messages": [{"role": "user", "content": "x\n## system\ny"}]})
    with pytest.raises(PromptFileError, match=r"keep it as a \.yaml file"):
        dump_prompt_file(PromptFile("p", None, content, None, "p.md"), markdown=True)


def test_directory_reads_every_prompt_and_refuses_two_files_for_one_prompt(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "prompts")
    (tmp_path / "prompts" / "README.txt").write_text("not a prompt")
    names = [p.name for p in read_prompt_dir(tmp_path / "prompts")]
    assert names == ["greeting", "one-liner", "support-answer"]
    (tmp_path / "prompts" / "nested").mkdir()
    shutil.copy(SAMPLES / "greeting.md", tmp_path / "prompts" / "nested" / "greeting.md")
    with pytest.raises(PromptFileError, match="also defined in"):
        read_prompt_dir(tmp_path / "prompts")
    with pytest.raises(PromptFileError, match="not a directory"):
        read_prompt_dir(tmp_path / "missing")


def test_non_utf8_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"messages:\n  - role: user\n    content: caf\xe9\n")
    with pytest.raises(PromptFileError, match=r"p\.yaml:3: not UTF-8"):
        read_prompt_file(path)


def test_hidden_folders_are_not_read(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "prompts")
    workflows = tmp_path / "prompts" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n")
    assert len(read_prompt_dir(tmp_path / "prompts")) == 3


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("messages: " + "[" * 5000 + "]" * 5000, "nest(ed too deeply|ing depth)"),
        ("messages:\n  - role: user\n    content: !!binary xx\n", "base64"),
        ("messages: []\n---\nmessages: []\n", "not valid YAML"),
    ],
)
def test_hostile_yaml_is_a_one_line_error(text: str, words: str) -> None:
    with pytest.raises(PromptFileError, match=words):
        parse_prompt_file(text, "p.yaml", markdown=False)
