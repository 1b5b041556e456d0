"""One call's text filter: placeholders numbered across the call's texts, the caller's own literals skipped,
restorable values kept only for `restore: true` rules, and a block redacting everything it found."""

from __future__ import annotations

from rungway.guardrails.config import parse_guardrails
from rungway.guardrails.filtering import TextFilter, restore_placeholders


def _filter(policy: dict[str, object]) -> TextFilter:
    return TextFilter(parse_guardrails({"default": {"input": policy}}).default.input, "input")


def test_one_value_keeps_one_placeholder_across_the_calls_texts() -> None:
    scan = _filter({"pii": {"action": "redact", "restore": True}})
    first = scan.apply("from ann@example.com")
    second = scan.apply("cc bob@example.com and ann@example.com")
    assert first.text == "from [EMAIL_1]"
    assert second.text == "cc [EMAIL_2] and [EMAIL_1]"
    assert scan.restorable == {"[EMAIL_1]": "ann@example.com", "[EMAIL_2]": "bob@example.com"}
    assert restore_placeholders("write [EMAIL_2], not [EMAIL_9]", scan.restorable) == (
        "write bob@example.com, not [EMAIL_9]"
    )


def test_a_placeholder_the_caller_wrote_is_never_reused() -> None:
    scan = _filter({"pii": {"action": "redact"}})
    result = scan.apply("see [EMAIL_1] and ann@example.com")
    assert result.text == "see [EMAIL_1] and [EMAIL_2]"
    assert scan.restorable == {}  # no `restore: true`


def test_a_block_names_the_first_blocking_hit_and_redacts_every_finding() -> None:
    scan = _filter({"pii": {"action": "flag"}, "secrets": {"action": "block"}})
    result = scan.apply("ann@example.com sent AKIAZ3MEXQ7RPLW4TQ2N")
    assert result.blocked is not None and result.blocked.rule == "secrets.aws_access_key"
    assert [h.action for h in result.hits] == ["flag", "block"]
    assert result.text == "[EMAIL_1] sent [AWS_KEY_1]"


def test_flag_only_leaves_the_text_as_it_was() -> None:
    scan = _filter({"pii": {"action": "flag"}})
    text = "mail ann@example.com"
    result = scan.apply(text)
    assert result.text is text and [h.rule for h in result.hits] == ["pii.email"]
