"""The diff between two versions: message text as unified diffs, variables, model and parameters."""

from __future__ import annotations

from rungway.prompts.diff import diff_versions
from rungway.prompts.model import PromptVersion
from rungway.prompts.template import PromptContent
from tests.prompts.support import content


def version(number: int, body: PromptContent) -> PromptVersion:
    return PromptVersion("support", "test", number, body, body.content_hash(), "", "ann", None, 0.0)


def test_identical_versions_have_an_empty_diff() -> None:
    diff = diff_versions(version(1, content()), version(2, content()))
    assert diff.identical and diff.to_json()["messages"] == []


def test_every_kind_of_change_is_reported() -> None:
    a = content("Answer {{question}} politely.\nThanks.")
    b = PromptContent.from_json(
        {
            "messages": [
                {"role": "system", "content": "You are a support agent."},
                {"role": "user", "content": "Answer {{question}} in {{lang}}.\nThanks."},
                {"role": "assistant", "content": "Sure."},
            ],
            "variables": [{"name": "lang", "default": "English"}],
            "model": "gpt-4o",
            "parameters": {"temperature": 0.7, "max_tokens": 100},
        }
    )
    diff = diff_versions(version(1, a), version(2, b))
    assert not diff.identical
    assert [(m.index, m.status) for m in diff.messages] == [(1, "changed"), (2, "added")]
    assert "-Answer {{question}} politely.\n+Answer {{question}} in {{lang}}.\n" in diff.messages[0].unified
    assert diff.messages[0].unified.startswith("--- support@1 messages[1]\n+++ support@2 messages[1]\n")
    assert diff.variables_added == ("lang",) and diff.variables_removed == ()
    assert diff.model is not None and (diff.model.before, diff.model.after) == ("gpt-4o-mini", "gpt-4o")
    assert [(c.name, c.before, c.after) for c in diff.parameters] == [
        ("max_tokens", None, 100),
        ("temperature", 0.2, 0.7),
    ]
    back = diff_versions(version(2, b), version(1, a))
    assert [(m.index, m.status) for m in back.messages] == [(1, "changed"), (2, "removed")]
    assert back.variables_removed == ("lang",)


def test_a_changed_variable_shows_before_and_after() -> None:
    a = content(variables=[{"name": "question", "type": "string"}])
    b = content(variables=[{"name": "question", "type": "string", "description": "what they asked"}])
    diff = diff_versions(version(1, a), version(2, b))
    assert [c.name for c in diff.variables_changed] == ["question"]
    assert diff.to_json()["variables"]["changed"][0]["after"]["description"] == "what they asked"
