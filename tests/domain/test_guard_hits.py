"""The request log's `guardrails` text: each distinct hit once, bounded at a whole entry."""

from __future__ import annotations

from rungway.domain.guard_hits import GuardHit, hits_text


def test_hits_text_lists_each_hit_once_in_order() -> None:
    a = GuardHit("pii", "pii.email", "input", "redact")
    b = GuardHit("secrets", "secrets.github_token", "output", "block")
    assert hits_text([]) is None
    assert hits_text([a, b, a]) == "input:pii.email:redact,output:secrets.github_token:block"


def test_hits_text_is_bounded_at_a_whole_entry() -> None:
    hits = [GuardHit("terms", f"terms.rule_{i:03d}", "input", "flag") for i in range(100)]
    text = hits_text(hits, limit=100)
    assert text is not None and len(text) <= 100 and text.endswith(",...")
    assert all(entry.startswith("input:terms.rule_") for entry in text.split(",")[:-1])
