"""The create form's content (YAML or JSON in a textarea) read at the edge, and written back as YAML."""

from __future__ import annotations

import pytest
from multidict import MultiDict

from rungway.errors import InvalidRequest
from rungway.prompts.pages.forms import CONTENT_MAX_CHARS, content_from_text, content_text, form_fields
from rungway.prompts.template import PromptContent, PromptTemplateError

YAML = """messages:
  - role: system
    content: |
      You answer questions about {{product}}.
      Be brief.
  - role: user
    content: "{{ question }}"
variables:
  - {name: product, type: string, default: Rungway}
model: gpt-4o-mini
parameters: {temperature: 0.2, max_tokens: 300}
"""


def test_yaml_json_and_a_bare_list_of_messages_are_the_same_content() -> None:
    content = content_from_text(YAML)
    assert [m.role for m in content.messages] == ["system", "user"]
    assert content.model == "gpt-4o-mini" and content.parameters.temperature == 0.2
    assert [v.name for v in content.variables] == ["product", "question"]
    import orjson

    assert content_from_text(orjson.dumps(content.to_json()).decode()) == content
    bare = content_from_text('[{"role": "user", "content": "Hi {{name}}"}]')
    assert bare.messages[0].content == "Hi {{name}}" and bare.variables[0].name == "name"


def test_a_version_written_back_reads_as_the_same_content_with_text_as_blocks() -> None:
    content = content_from_text(YAML)
    text = content_text(content)
    assert "content: |\n" in text and "  Be brief.\n" in text  # a template reads as it will be sent
    assert content_from_text(text) == content
    assert content_from_text(text).content_hash() == content.content_hash()


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("", InvalidRequest, "content is required"),
        ("messages: [\n  {role: user", InvalidRequest, "not valid YAML (line 2"),
        ('{"messages": [}', InvalidRequest, "not valid JSON (line 1"),
        ("a: &x [1, 2]\nmessages: *x\n", InvalidRequest, "aliases (*name) are not accepted"),
        ("just text", PromptTemplateError, "content must be an object with `messages`"),
        ("messages: [{role: user, content: '{% if x %}'}]", PromptTemplateError, "template logic"),
        ("messages: [{role: robot, content: hi}]", PromptTemplateError, "content.messages[0].role"),
        ("messages: [{role: user, content: hi}]\nextra: 1", PromptTemplateError, "content.extra is not a field"),
        ("!!python/object:os.system {}", InvalidRequest, "not valid YAML"),
    ],
)
def test_bad_content_is_a_400_naming_the_line_or_the_field(text: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as caught:
        content_from_text(text)
    assert isinstance(caught.value, InvalidRequest) and caught.value.status == 400
    assert fragment in caught.value.message


def test_content_is_bounded_before_it_is_parsed() -> None:
    with pytest.raises(InvalidRequest, match="longer than"):
        content_from_text("x" * (CONTENT_MAX_CHARS + 1))


def test_form_fields_are_bounded_and_unknown_ones_refused() -> None:
    fields = {"name": 5, "content": 100}
    assert form_fields(MultiDict(name=" ab ", content=" x\n", csrf_token="t"), fields) == {
        "name": "ab",
        "content": " x\n",
    }
    assert form_fields(MultiDict(), fields) == {"name": "", "content": ""}
    with pytest.raises(InvalidRequest, match="at most 5"):
        form_fields(MultiDict(name="abcdef"), fields)
    with pytest.raises(InvalidRequest, match="unknown field 'role'"):
        form_fields(MultiDict(role="admin"), fields)


def test_the_written_yaml_is_plain_even_for_awkward_text() -> None:
    content = PromptContent.from_json(
        {"messages": [{"role": "user", "content": "tab\there\r\nand: {{x}} # not a comment"}]}
    )
    assert content_from_text(content_text(content)) == content
