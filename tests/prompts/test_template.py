"""The template model: validation at create time, rendering, hashing and bounds."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.prompts.template import (
    MAX_MESSAGES,
    PromptContent,
    PromptParameters,
    PromptTemplateError,
    PromptVariableError,
    placeholders,
    render,
)


def content(**overrides: Any) -> PromptContent:
    raw: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": "You help {{ product }} users. Answer in {{lang}}."},
            {"role": "user", "content": "{{question}}"},
        ],
        "variables": [
            {"name": "lang", "type": "string", "default": "English"},
            {"name": "question", "description": "what the user asked"},
        ],
        "model": "gpt-4o-mini",
        "parameters": {"temperature": 0.2, "max_tokens": 300},
    }
    raw.update(overrides)
    return PromptContent.from_json(raw)


def test_render_substitutes_values_and_defaults() -> None:
    out = content().render({"product": "Acme", "question": "Why?"}, ref="support@2")
    assert out.messages == [
        {"role": "system", "content": "You help Acme users. Answer in English."},
        {"role": "user", "content": "Why?"},
    ]
    assert out.model == "gpt-4o-mini"
    assert out.parameters == {"temperature": 0.2, "max_tokens": 300}


def test_undeclared_placeholders_become_required_strings() -> None:
    spec = content().variable("product")
    assert spec is not None and spec.required and spec.type == "string"


def test_missing_variable_names_it_and_the_version() -> None:
    with pytest.raises(PromptVariableError) as caught:
        content().render({"question": "Why?"}, ref="support@2")
    assert "'product'" in caught.value.message and "support@2" in caught.value.message
    assert caught.value.status == 400 and caught.value.param == "prompt.variables.product"


def test_mistyped_and_undeclared_variables_are_refused() -> None:
    typed = PromptContent.from_json(
        {"messages": [{"role": "user", "content": "{{n}}"}], "variables": [{"name": "n", "type": "integer"}]}
    )
    assert typed.render({"n": 3}, ref="p@1").messages[0]["content"] == "3"
    for bad in ("3", True, 2.5):
        with pytest.raises(PromptVariableError, match="whole number"):
            typed.render({"n": bad}, ref="p@1")
    with pytest.raises(PromptVariableError, match="declares no variable 'x'"):
        typed.render({"n": 1, "x": 2}, ref="p@1")


def test_json_and_boolean_values_render_as_json() -> None:
    c = PromptContent.from_json(
        {
            "messages": [{"role": "user", "content": "{{ctx}} {{flag}}"}],
            "variables": {"ctx": "json", "flag": {"type": "boolean"}},
        }
    )
    assert c.render({"ctx": {"a": [1, 2]}, "flag": False}, ref="p@1").messages[0]["content"] == '{"a":[1,2]} false'


@pytest.mark.parametrize(
    "text",
    ["{{ user.name }}", "{{ name | upper }}", "{% if x %}y{% endif %}", "{# comment #}", "{{ __import__('os') }}"],
)
def test_template_logic_is_refused_at_create_time(text: str) -> None:
    with pytest.raises(PromptTemplateError, match=r"messages\[0\]\.content"):
        PromptContent.from_json({"messages": [{"role": "user", "content": text}]})


def test_same_content_same_hash_and_any_change_changes_it() -> None:
    assert content().content_hash() == content().content_hash()
    assert content().content_hash() != content(model="gpt-4o").content_hash()
    assert content().content_hash() != content(parameters={"temperature": 0.3}).content_hash()


def test_round_trip_through_json_keeps_the_hash() -> None:
    first = content()
    again = PromptContent.from_json(first.to_json())
    assert again == first and again.content_hash() == first.content_hash()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "role"),
        ({"messages": [{"role": "user", "content": 3}]}, "content"),
        ({"messages": [{"role": "user", "content": "x"}], "parameters": {"temperature": 9}}, "temperature"),
        ({"messages": [{"role": "user", "content": "x"}], "parameters": {"logit_bias": {}}}, "logit_bias"),
        ({"messages": [{"role": "user", "content": "x"}], "variables": [{"name": "1x"}]}, "name"),
        ({"messages": [{"role": "user", "content": "x"}], "variables": [{"name": "a", "type": "date"}]}, "type"),
        (
            {
                "messages": [{"role": "user", "content": "x"}],
                "variables": [{"name": "a", "type": "integer", "default": "z"}],
            },
            "default",
        ),
        ({"messages": [{"role": "user", "content": "x"}], "extra": 1}, "extra"),
        ({"messages": [{"role": "user", "content": "x"}] * (MAX_MESSAGES + 1)}, "messages"),
    ],
)
def test_invalid_content_is_refused_naming_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(PromptTemplateError) as caught:
        PromptContent.from_json(raw)
    assert field in caught.value.message


def test_rendered_size_is_bounded() -> None:
    c = PromptContent.from_json({"messages": [{"role": "user", "content": "{{x}}" * 100}]})
    with pytest.raises(PromptVariableError, match="more than 1000 characters"):
        render(c, {"x": "y" * 100}, ref="p@1", max_chars=1000)


def test_parameters_keep_tools_and_response_format() -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    params = PromptParameters.from_json(
        {"tools": [tool], "response_format": {"type": "json_object"}, "stop": "END"}, where="p"
    )
    assert params.to_json() == {"stop": ["END"], "response_format": {"type": "json_object"}, "tools": [tool]}


def test_placeholders_lists_names_in_order() -> None:
    assert placeholders("{{b}} {{ a }} {{b}}") == ["b", "a"]
