"""Imports from Langfuse exports and promptfoo prompt files, on hand-written samples of their documented shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rungway.prompts.files import PromptFileError
from rungway.prompts.imports import import_file, import_langfuse, import_promptfoo, prompt_name

SAMPLES = Path(__file__).parent / "samples"
LANGFUSE = SAMPLES / "langfuse"
PROMPTFOO = SAMPLES / "promptfoo"


def test_langfuse_chat_prompt_maps_messages_model_parameters_labels_and_message() -> None:
    [imported] = import_file("langfuse", LANGFUSE / "chat_prompt.json")
    prompt = imported.prompt
    assert prompt.name == "support.answer"  # Langfuse folders become dots
    assert [m.role for m in prompt.content.messages] == ["system", "user"]
    assert prompt.content.model == "gpt-4o-mini"
    assert prompt.content.parameters.temperature == 0.2 and prompt.content.parameters.max_tokens == 400
    assert [v.name for v in prompt.content.variables] == ["product", "language", "question"]
    assert imported.labels == ("production", "staging")  # `latest` is virtual in both tools
    assert prompt.commit_message == "Shorter answers, ask for the language"
    assert imported.source.endswith("Langfuse support/answer v3")
    notes = " | ".join(imported.notes)
    assert "renamed 'support/answer' to 'support.answer'" in notes
    assert "supported_languages" in notes and "tags support" in notes


def test_langfuse_export_comes_back_in_version_order_with_text_as_a_user_message() -> None:
    imported = import_langfuse((LANGFUSE / "export.json").read_bytes(), "export.json")
    assert [(p.prompt.name, p.source.rsplit(" ", 1)[1]) for p in imported] == [
        ("movie-critic", "v1"),
        ("movie-critic", "v2"),
        ("triage", "v1"),
    ]
    first, second, triage = imported
    assert [(m.role, m.content) for m in first.prompt.content.messages] == [
        ("user", "As a {{criticlevel}} movie critic, do you like {{movie}}?")
    ]
    assert first.labels == ("production",) and second.labels == ("staging",)
    assert first.prompt.commit_message == "First version"
    assert second.prompt.commit_message == "Imported from Langfuse 'movie-critic' v2"
    assert second.prompt.content.parameters.temperature == 0.7
    assert triage.prompt.content.parameters.response_format == {"type": "text"}
    assert triage.prompt.content.render({"ticket": "refund?"}, ref="triage@1").messages[1]["content"] == (
        "Ticket: refund?"
    )


def test_langfuse_data_wrapper_is_accepted() -> None:
    body = b'{"data": [{"name": "a", "version": 1, "type": "text", "prompt": "hi {{x}}"}], "meta": {}}'
    [imported] = import_langfuse(body, "page.json")
    assert imported.prompt.name == "a" and imported.labels == ()


def test_langfuse_message_placeholder_is_refused_naming_file_line_and_fix() -> None:
    with pytest.raises(PromptFileError) as caught:
        import_file("langfuse", LANGFUSE / "placeholder.json")
    message = caught.value.message
    assert message.startswith(f"{LANGFUSE / 'placeholder.json'}:7: ")
    assert "'chat_history'" in message and "Fix: remove the placeholder" in message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[1, 2", "not valid JSON"),
        (b'{"hello": 1}', "not a Langfuse prompt"),
        (b'{"name": "a", "prompt": "x @@@langfusePrompt:name=base|label=production@@@"}', "resolve=true"),
        (b'{"name": "a", "prompt": "{% if x %}y{% endif %}"}', "template logic"),
        (b'{"name": "a", "prompt": "x", "config": {"temperature": 7}}', "temperature"),
        (b'[{"name": "a", "prompt": [{"role": "narrator", "content": "x"}]}]', "role must be one of"),
    ],
)
def test_langfuse_errors_name_the_file_and_say_the_fix(body: bytes, words: str) -> None:
    with pytest.raises(PromptFileError) as caught:
        import_langfuse(body, "lf.json")
    assert caught.value.message.startswith("lf.json"), caught.value.message
    assert words in caught.value.message and "Fix: " in caught.value.message


def test_promptfoo_text_file_splits_on_separator_lines() -> None:
    imported = import_promptfoo(PROMPTFOO / "translate.txt")
    assert [p.prompt.name for p in imported] == ["translate-1", "translate-2", "translate-3"]
    third = imported[2].prompt.content
    spanish = 'Translate the following text to Spanish,\nkeeping the tone: "{{ name }}: {{ text }}"'
    assert third.messages[0].content == spanish
    assert third.render({"name": "Ann", "text": "Hi"}, ref="t@1").messages[0]["content"].endswith('"Ann: Hi"')


def test_promptfoo_json_and_yaml_chat_files() -> None:
    [persona] = import_promptfoo(PROMPTFOO / "personality.json")
    assert persona.prompt.name == "personality"
    assert [m.role for m in persona.prompt.content.messages] == ["system", "user"]
    [pirate] = import_promptfoo(PROMPTFOO / "pirate.yaml")
    assert pirate.prompt.content.messages[1].content == "Tell me about {{topic}}.\n"


def test_promptfoo_config_reads_inline_file_and_object_prompts() -> None:
    imported = import_promptfoo(PROMPTFOO / "promptfooconfig.yaml")
    names = [p.prompt.name for p in imported]
    assert names == [
        "promptfooconfig-1",
        "translate-1",
        "translate-2",
        "translate-3",
        "Translator-persona",
        "support_answer",
    ]
    assert imported[4].prompt.content.messages[0].role == "system"
    assert "renamed 'Translator persona' to 'Translator-persona'" in imported[4].notes
    assert imported[5].prompt.content.messages[0].content.startswith("You answer customer questions about {{product}}.")


def test_promptfoo_logic_is_refused_naming_file_line_and_construct() -> None:
    with pytest.raises(PromptFileError) as caught:
        import_promptfoo(PROMPTFOO / "conditional.txt")
    message = caught.value.message
    assert message.startswith(f"{PROMPTFOO / 'conditional.txt'}:4: "), message
    assert "{% if premium %}" in message and "Nunjucks logic does not map" in message
    with pytest.raises(PromptFileError, match=r"filters\.json:1: .*product \| upper"):
        import_promptfoo(PROMPTFOO / "filters.json")


def test_promptfoo_prompt_functions_are_refused() -> None:
    with pytest.raises(PromptFileError, match=r"functions\.yaml:2: .*runs code"):
        import_promptfoo(PROMPTFOO / "functions.yaml")
    with pytest.raises(PromptFileError, match="runs code"):
        import_promptfoo(PROMPTFOO / "build_prompt.py")


def test_promptfoo_missing_file_reference_names_the_config_line(tmp_path: Path) -> None:
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text("prompts:\n  - 'Hi {{name}}'\n  - file://nowhere.txt\n")
    with pytest.raises(PromptFileError, match=r"promptfooconfig\.yaml:3: file://nowhere\.txt: no such file"):
        import_promptfoo(config)


def test_duplicate_names_get_a_suffix_and_a_note(tmp_path: Path) -> None:
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text("prompts:\n  - {raw: 'A {{x}}', label: same}\n  - {raw: 'B {{x}}', label: same}\n")
    first, second = import_promptfoo(config)
    assert (first.prompt.name, second.prompt.name) == ("same", "same-2")
    assert "taken by an earlier prompt" in second.notes[-1]


def test_prompt_name_makes_registry_names() -> None:
    assert prompt_name("support/answer") == "support.answer"
    assert prompt_name("My prompt!") == "My-prompt"
    assert prompt_name("///") == "imported"
