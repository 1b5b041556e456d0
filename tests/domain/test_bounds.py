"""The caller-value rules: control characters out, lengths within their columns, REFUSE fields refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rungway.domain.bounds import MODEL, TAG_KEY, USER, BoundViolation, clean_text, has_control_characters


def test_clean_text_drops_nul_c0_c1_and_surrogates_and_cuts_to_the_column() -> None:
    cleaned = clean_text(" ana\x00\x1b[31m\x85\udce9 " + "é" * 300, USER)
    assert cleaned.changed
    assert cleaned.value == ("ana[31m " + "é" * 300)[: USER.max_chars]
    assert len(cleaned.value) == 256


def test_clean_text_leaves_printable_text_alone() -> None:
    cleaned = clean_text("ana-ß-日本-🙂", TAG_KEY)
    assert cleaned.value == "ana-ß-日本-🙂" and not cleaned.changed


@given(st.text(max_size=400))
def test_cleaned_values_always_fit_postgresql(value: str) -> None:
    cleaned = clean_text(value, USER).value
    assert len(cleaned) <= USER.max_chars
    assert not has_control_characters(cleaned)
    cleaned.encode("utf-8")  # no lone surrogate: PostgreSQL's UTF-8 accepts it


@pytest.mark.parametrize("model", ["m" * 129, "gpt-4o\x00", "gpt\x7f"])
def test_refuse_fields_raise_naming_the_field(model: str) -> None:
    with pytest.raises(BoundViolation) as caught:
        MODEL.check(model)
    assert caught.value.field == "model" and "model" in str(caught.value)


def test_refuse_fields_pass_values_within_the_bound() -> None:
    assert MODEL.check("m" * 128) == "m" * 128
