"""How close the shadow's answer (B) is to the primary's (A), as measures only: no text is kept.

Computed in the shadow task, after B answered, never on the caller's path. Texts are cut to
`MAX_CHARS` first, so a long answer costs bounded CPU (rapidfuzz's LCS is C++).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from rapidfuzz.distance import LCSseq

__all__ = ["MAX_CHARS", "Agreement", "Answer", "agreement", "answer_of", "rouge_l", "token_f1"]

MAX_CHARS = 16_000
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Answer:
    """The first choice of a chat completion: its text and the names of the tools it called, in order."""

    text: str
    tool_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Agreement:
    """How B's answer compares with A's (see `ShadowResult`)."""

    exact_match: bool
    token_f1: float
    rouge_l: float
    json_valid: bool | None
    tool_names_equal: bool | None


def answer_of(completion: Mapping[str, Any] | None) -> Answer:
    """The first choice's content and tool names of a `chat.completion` (an assembled stream included)."""
    choices = completion.get("choices") if completion is not None else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return Answer("")
    message = choices[0].get("message") or {}
    content = message.get("content") if isinstance(message, dict) else None
    text = content if isinstance(content, str) else ""
    names: list[str] = []
    for call in (message.get("tool_calls") if isinstance(message, dict) else None) or ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            names.append(str(function.get("name") or ""))
    return Answer(text[:MAX_CHARS], tuple(names))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def token_f1(reference: str, candidate: str) -> float:
    """SQuAD's token F1 of the candidate's words against the reference's (1.0 when both are empty)."""
    ref, cand = _words(reference), _words(candidate)
    if not ref or not cand:
        return 1.0 if not ref and not cand else 0.0
    common = sum((Counter(ref) & Counter(cand)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(cand), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l(reference: str, candidate: str) -> float:
    """ROUGE-L F-measure over words: the longest common subsequence against both lengths."""
    ref, cand = _words(reference), _words(candidate)
    if not ref or not cand:
        return 1.0 if not ref and not cand else 0.0
    lcs = LCSseq.similarity(ref, cand)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def _is_json(text: str) -> bool:
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return False
    try:
        orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return False
    return True


def agreement(a: Answer, b: Answer) -> Agreement:
    """B against A: exact match, token F1, ROUGE-L, JSON validity (when A's was JSON), tool names."""
    tools = a.tool_names == b.tool_names if (a.tool_names or b.tool_names) else None
    return Agreement(
        exact_match=a.text.strip() == b.text.strip() and a.tool_names == b.tool_names,
        token_f1=round(token_f1(a.text, b.text), 6),
        rouge_l=round(rouge_l(a.text, b.text), 6),
        json_valid=_is_json(b.text) if _is_json(a.text) else None,
        tool_names_equal=tools,
    )
