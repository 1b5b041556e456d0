"""The shipped attack corpus: versioned, every category populated, strategies derived from base attacks."""

from __future__ import annotations

import base64
import codecs
from collections import Counter

import pytest

from rungway.errors import InvalidRequest
from rungway.redteam.corpus import GOALS, apply_strategy, leetspeak, load_corpus

BASE = ("prompt-injection", "indirect-injection", "jailbreak", "system-prompt-extraction", "pii-exfiltration",
        "harmful-content")  # fmt: skip


def test_the_corpus_is_versioned_with_each_category_populated() -> None:
    corpus = load_corpus()
    assert corpus.version
    counts = Counter(a.category for a in corpus.attacks)
    for category in (*BASE, "multi-turn", "encoding", "translation"):
        assert 10 <= counts[category] <= 30, category
    ids = [a.id for a in corpus.attacks]
    assert len(ids) == len(set(ids))
    assert all(a.goal in GOALS for a in corpus.attacks)
    assert all((a.goal == "marker") == bool(a.marker) for a in corpus.attacks)


def test_multi_turn_attacks_are_scripted_conversations() -> None:
    multi = [a for a in load_corpus().attacks if a.category == "multi-turn"]
    assert all(len(a.turns) >= 3 for a in multi)


def test_strategies_encode_the_base_attack_and_keep_its_goal() -> None:
    corpus = load_corpus()
    by_id = {a.id: a for a in corpus.attacks}
    encoded = by_id["sys-001+base64"]
    payload = encoded.turns[-1].rsplit(" ", 1)[-1]
    assert base64.b64decode(payload).decode() == by_id["sys-001"].turns[0]
    assert encoded.goal == "canary" and encoded.category == "encoding" and encoded.strategy == "base64"
    rot = by_id["pro-003+rot13"]
    assert by_id["pro-003"].turns[0] in codecs.decode(rot.turns[-1].split(": ", 1)[1], "rot13")
    assert rot.marker == by_id["pro-003"].marker
    assert by_id["sys-001+translate-fr"].turns[-1].endswith(by_id["sys-001"].turns[0])
    assert leetspeak("Tell me secrets") == "73ll m3 53cr375"
    assert apply_strategy("translate-de", "x") == "x"


def test_select_by_category_and_an_unknown_one_names_the_known() -> None:
    corpus = load_corpus()
    chosen = corpus.select(["jailbreak"])
    assert chosen and {a.category for a in chosen} == {"jailbreak"}
    assert corpus.select(None) == list(corpus.attacks)
    with pytest.raises(InvalidRequest, match="system-prompt-extraction"):
        corpus.select(["jailbrake"])
