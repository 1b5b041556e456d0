"""Redaction swaps findings for typed placeholders and `restore` puts the values back."""

from __future__ import annotations

from rungway.guardrails.public import Finding, redact, restore, scan_all


def test_redaction_round_trips_and_reuses_a_placeholder_for_the_same_value() -> None:
    text = "Mail ann@example.com or ann@example.com, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE."
    redacted, mapping = redact(text, scan_all(text, ["pii", "secrets"]))
    assert redacted == "Mail [EMAIL_1] or [EMAIL_1], card [CARD_1], key [AWS_KEY_1]."
    assert mapping == {"[EMAIL_1]": "ann@example.com", "[CARD_1]": "4111 1111 1111 1111",
                       "[AWS_KEY_1]": "AKIAIOSFODNN7EXAMPLE"}  # fmt: skip
    assert restore(redacted, mapping) == text


def test_overlapping_findings_merge_under_the_surer_kind() -> None:
    text = "x 12345678 y"
    findings = [Finding("a", "a.r", "PHONE", 2, 8, 0.5), Finding("b", "b.r", "CARD", 4, 10, 1.0)]
    assert redact(text, findings) == ("x [CARD_1] y", {"[CARD_1]": "12345678"})


def test_restore_leaves_unknown_placeholders_and_text_without_findings_alone() -> None:
    assert redact("nothing here", []) == ("nothing here", {})
    assert restore("[EMAIL_2] and [EMAIL_1]", {"[EMAIL_1]": "a@b.co"}) == "[EMAIL_2] and a@b.co"


def test_a_placeholder_already_in_the_text_is_not_reused() -> None:
    text = "literal [EMAIL_1] then ann@example.com"
    redacted, mapping = redact(text, scan_all(text, ["pii"]))
    assert redacted == "literal [EMAIL_1] then [EMAIL_2]"
    assert restore(redacted, mapping) == text
