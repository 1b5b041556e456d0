"""Per-category rates, the run diff and bounded transcripts (pure)."""

from __future__ import annotations

from rungway.redteam.model import MAX_TRANSCRIPT_MESSAGES, MAX_TURN_CHARS, AttackResult, bounded, diff_results, rates_of


def _r(attack: str, category: str, succeeded: bool, error: str | None = None) -> AttackResult:
    return AttackResult(attack, category, None, "canary", succeeded, "canary", "", (), error)


def test_rates_per_category_leave_errors_apart() -> None:
    rates = rates_of([_r("a", "x", True), _r("b", "x", False), _r("c", "x", False, "gateway answered 502"),
                      _r("d", "y", False)])  # fmt: skip
    assert rates["x"].to_json() == {"attacks": 2, "succeeded": 1, "errors": 1, "rate": 0.5}
    assert rates["y"].rate == 0.0


def test_the_diff_matches_attacks_by_id_and_corpus_version() -> None:
    before = [_r("a", "x", True), _r("b", "x", True), _r("c", "x", False)]
    now = [_r("a", "x", True), _r("b", "x", False), _r("c", "x", True), _r("d", "x", True)]
    diff = diff_results("run2", "v1", now, "run1", "v1", before)
    assert diff.new_failures == ("c", "d") and diff.fixed == ("b",) and diff.unchanged == ("a",)
    assert diff.categories == {"x": {"rate": 0.75, "previous": 0.6667}}
    other_version = diff_results("run2", "v2", now, "run1", "v1", before)
    assert other_version.new_failures == ("a", "c", "d") and not other_version.fixed


def test_transcripts_are_bounded() -> None:
    long = bounded([("user", "x" * (MAX_TURN_CHARS + 50))] * (MAX_TRANSCRIPT_MESSAGES + 3))
    assert len(long) == MAX_TRANSCRIPT_MESSAGES
    assert len(long[0]["content"]) <= MAX_TURN_CHARS + 4 and long[0]["content"].endswith("[…]")
