"""The pii detector verifies structured values beyond their shape."""

from __future__ import annotations

import pytest

from rungway.guardrails.public import DetectorOptionError, detector


def spans(text: str, **options: object) -> list[tuple[str, str]]:
    return [(f.rule, text[f.start : f.end]) for f in detector("pii", **options).scan(text)]


def test_cards_pass_luhn_and_an_issuer_range() -> None:
    assert spans("card 4111 1111 1111 1111 ok") == [("pii.card", "4111 1111 1111 1111")]
    assert spans("card 4111 1111 1111 1112 ok") == []  # fails Luhn
    assert spans("ref 9111111111111111 ok") == []  # no issuer range


def test_ibans_pass_mod_97_and_their_country_length() -> None:
    assert spans("IBAN DE89 3704 0044 0532 0130 00.") == [("pii.iban", "DE89 3704 0044 0532 0130 00")]
    assert spans("IBAN DE88 3704 0044 0532 0130 00.") == []


def test_never_issued_ssns_and_order_numbers_are_not_reported() -> None:
    assert spans("SSN 123-45-6789") == [("pii.ssn", "123-45-6789")]
    assert spans("SSN 666-45-6789 and 123-00-6789") == []
    assert spans("Order #415-555-2671 shipped") == []
    assert spans("call (415) 555-2671 now") == [("pii.phone", "(415) 555-2671")]


def test_rules_option_limits_the_scan_and_refuses_unknown_rules() -> None:
    assert spans("a@b.co 10.0.0.1", rules=["ip"]) == [("pii.ip", "10.0.0.1")]
    with pytest.raises(DetectorOptionError):
        detector("pii", rules=["passport"])


def test_long_adversarial_input_finishes() -> None:
    text = "1-" * 20_000 + "a@" * 20_000 + "+1 " * 10_000
    assert isinstance(spans(text), list)


def test_cards_in_other_decimal_digits_are_verified_like_ascii_ones() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in "4111 1111 1111 1111")
    assert spans(f"card {wide} ok") == [("pii.card", wide)]
    bad = wide[:-1] + chr(ord("2") + 0xFEE0)
    assert spans(f"card {bad} ok") == []
