"""Stored span content: the fast path for small content stores exactly what the capping walk stores."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.domain.workloads import ContentCapture
from rungway.traces.content import ContentLimits, cap_content, protect
from rungway.traces.redaction import redact_value

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(allow_nan=False), st.text(max_size=40)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
ATTRIBUTES = st.dictionaries(st.text(min_size=1, max_size=12), VALUES, max_size=6)


def walked(attributes: dict[str, Any], limits: ContentLimits, capture: ContentCapture) -> bytes:
    """What `protect` stores when every value goes through the capping walk (no metadata-only filter)."""
    redacting = capture is ContentCapture.REDACTED
    kept, _, cuts = cap_content(attributes, None, limits, redacting)
    if redacting:
        kept = redact_value(kept)
    if cuts:
        kept["rungway.truncated"] = cuts
    return orjson.dumps({"attributes": kept}, default=str)


@settings(max_examples=300, derandomize=True)
@given(ATTRIBUTES, st.sampled_from([ContentCapture.FULL, ContentCapture.REDACTED]), st.integers(40, 4000))
def test_small_content_is_stored_exactly_as_the_capping_walk_stores_it(
    attributes: dict[str, Any], capture: ContentCapture, cap: int
) -> None:
    limits = ContentLimits(max_attribute_chars=cap, max_span_chars=cap * 2)
    assert protect(attributes, None, capture, limits) == walked(attributes, limits, capture)


def test_content_past_an_eighth_of_the_caps_still_goes_through_the_walk_and_is_cut() -> None:
    limits = ContentLimits(max_attribute_chars=100, max_span_chars=1000)
    stored = orjson.loads(protect({"input": "x" * 150}, None, ContentCapture.FULL, limits))
    assert stored["attributes"]["input"] == "x" * 100
    assert stored["attributes"]["rungway.truncated"] == {"input": 150}


def test_many_small_scalars_are_counted_as_the_caps_count_them_not_by_their_json_size() -> None:
    # 30 zeros are 60 bytes of JSON but 240 characters by the caps' count (8 per scalar): they must be cut.
    limits = ContentLimits(max_attribute_chars=100, max_span_chars=1000)
    attributes: dict[str, Any] = {"k": [0] * 30}
    stored = protect(attributes, None, ContentCapture.FULL, limits)
    assert stored == walked(attributes, limits, ContentCapture.FULL)
    assert orjson.loads(stored)["attributes"]["rungway.truncated"] == {"k": 61}
