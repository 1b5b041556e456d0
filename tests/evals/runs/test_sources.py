"""Dataset and prompt references as `rungway eval run` reads them from its options."""

from __future__ import annotations

import pytest

from rungway.errors import InvalidRequest
from rungway.evals.runs.sources import PromptRef, parse_dataset_ref


def test_dataset_references() -> None:
    assert parse_dataset_ref("faq") == ("faq", None)
    assert parse_dataset_ref("faq@3") == ("faq", "3")
    assert parse_dataset_ref("faq@latest") == ("faq", None)
    for bad in ("", "faq@", "faq@x", "-faq", "faq@1@2", "a" * 129):
        with pytest.raises(InvalidRequest, match="NAME@VERSION"):
            parse_dataset_ref(bad)


def test_prompt_references() -> None:
    assert PromptRef.parse("reply@3") == PromptRef("reply", 3, None)
    assert PromptRef.parse("reply:staging") == PromptRef("reply", None, "staging")
    assert PromptRef.parse("reply") == PromptRef("reply", None, None)
    for bad in ("reply@", "reply:Prod", "reply@1:x", "re ply"):
        with pytest.raises(InvalidRequest, match="NAME:LABEL"):
            PromptRef.parse(bad)
