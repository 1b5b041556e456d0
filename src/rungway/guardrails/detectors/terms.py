"""The `terms` detector: configured blocked terms and topics (lists of terms), and optional user patterns.

Terms match case-insensitively on word boundaries by default (`whole_words=False` matches inside words,
`case_sensitive=True` keeps case). A topic is a named list: its hits carry the rule `terms.topic.<name>`.
User-supplied regular expressions run on the `regex` engine with a per-scan timeout, so a pattern that
backtracks badly costs a bounded time and reports nothing rather than stalling the gateway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import ahocorasick_rs
import regex

from rungway.guardrails.detectors.base import DetectorOptionError, Finding
from rungway.guardrails.public import register_detector

__all__ = ["TermsDetector", "make_terms"]

NAME = "terms"
MAX_TERMS = 10_000
MAX_TERM_CHARS = 200
PATTERN_TIMEOUT_S = 0.005


def _alternation(terms: Sequence[str], whole_words: bool, case_sensitive: bool) -> re.Pattern[str]:
    body = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    if whole_words:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


class TermsDetector:
    """Finds configured words and phrases (and optional patterns) in text."""

    name = NAME
    version = "1"

    def __init__(
        self,
        lists: Sequence[tuple[str, re.Pattern[str], ahocorasick_rs.AhoCorasick | None]],
        patterns: Sequence[tuple[str, regex.Pattern[str]]],
        case_sensitive: bool,
    ) -> None:
        self._lists = tuple(lists)
        self._patterns = tuple(patterns)
        self._case_sensitive = case_sensitive

    def scan(self, text: str) -> Sequence[Finding]:
        found: list[Finding] = []
        folded = text if self._case_sensitive or not self._lists else text.lower()
        for rule, compiled, needles in self._lists:
            if needles is not None and needles.find_matches_as_indexes(folded, overlapping=False) == []:
                continue  # every term of the list looked for in one pass: faster than the expression
            found.extend(Finding(NAME, rule, "TERM", m.start(), m.end(), 1.0) for m in compiled.finditer(text))
        for rule, pattern in self._patterns:
            try:
                hits = list(pattern.finditer(text, timeout=PATTERN_TIMEOUT_S))
            except TimeoutError:
                continue  # a pathological pattern on this text: bounded time, no verdict
            found.extend(Finding(NAME, rule, "TERM", m.start(), m.end(), 1.0) for m in hits if m.end() > m.start())
        found.sort(key=lambda f: f.start)
        return found


def _checked_terms(where: str, terms: Sequence[str]) -> list[str]:
    if isinstance(terms, str) or len(terms) > MAX_TERMS:
        raise DetectorOptionError(f"detector 'terms': {where}: expected a list of at most {MAX_TERMS} strings")
    cleaned = [t.strip() for t in terms]
    if any(not isinstance(t, str) or not t or len(t) > MAX_TERM_CHARS for t in cleaned):
        raise DetectorOptionError(
            f"detector 'terms': {where}: each term must be a non-empty string of at most {MAX_TERM_CHARS} characters"
        )
    return cleaned


@register_detector(NAME)
def make_terms(
    *,
    terms: Sequence[str] = (),
    topics: Mapping[str, Sequence[str]] | None = None,
    patterns: Mapping[str, str] | None = None,
    case_sensitive: bool = False,
    whole_words: bool = True,
) -> TermsDetector:
    """`terms`: blocked words and phrases (rule `terms.blocked`); `topics`: name -> terms (`terms.topic.<name>`);
    `patterns`: name -> regular expression (`terms.pattern.<name>`, run with a timeout)."""
    lists: list[tuple[str, re.Pattern[str], ahocorasick_rs.AhoCorasick | None]] = []

    def add(rule: str, checked: list[str]) -> None:
        folded = {t if case_sensitive else t.lower() for t in checked}
        needles = ahocorasick_rs.AhoCorasick(sorted(folded)) if len(checked) <= 64 else None
        lists.append((rule, _alternation(checked, whole_words, case_sensitive), needles))

    if terms:
        add("terms.blocked", _checked_terms("terms", terms))
    for topic, topic_terms in (topics or {}).items():
        if not re.fullmatch(r"[a-z0-9_-]{1,64}", topic):
            raise DetectorOptionError(f"detector 'terms': topics: {topic!r}: expected a name like `weapons`")
        checked = _checked_terms(f"topics.{topic}", topic_terms)
        add(f"terms.topic.{topic}", checked)
    compiled: list[tuple[str, regex.Pattern[str]]] = []
    for name, source in (patterns or {}).items():
        if not re.fullmatch(r"[a-z0-9_-]{1,64}", name):
            raise DetectorOptionError(f"detector 'terms': patterns: {name!r}: expected a name like `ticket_id`")
        try:
            compiled.append((f"terms.pattern.{name}", regex.compile(source, 0 if case_sensitive else regex.I)))
        except regex.error as exc:
            raise DetectorOptionError(f"detector 'terms': patterns.{name}: invalid expression: {exc}") from exc
    return TermsDetector(lists, compiled, case_sensitive)
