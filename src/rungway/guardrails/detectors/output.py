"""The `output` detector: checks on a model's answer, each configured by an option.

`schema`: the answer must be JSON conforming to this JSON Schema (compiled once with jsonschema-rs, as the
evals' scorers do); `max_chars`: the answer may not be longer; `system_prompt`: the answer may not repeat runs
of `ngram` consecutive words of it (leakage, by word n-gram overlap); `canary`: a marker planted in the system
prompt that must never come out. With no option set it reports nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, AnyStr

import jsonschema_rs
import orjson

from rungway.guardrails.detectors.base import DetectorOptionError, Finding
from rungway.guardrails.public import register_detector

__all__ = ["OutputDetector", "make_output"]

NAME = "output"
_WORD = re.compile(r"\w+")


class OutputDetector:
    """Schema conformance, length and system-prompt leakage of one answer."""

    name = NAME
    version = "1"

    def __init__(
        self,
        validator: jsonschema_rs.Validator | None,
        max_chars: int | None,
        prompt_ngrams: frozenset[tuple[str, ...]],
        ngram: int,
        canary: str | None,
    ) -> None:
        self._validator = validator
        self._max_chars = max_chars
        self._prompt_ngrams = prompt_ngrams
        self._prompt_words = frozenset(word for gram in prompt_ngrams for word in gram)
        # the same as bytes, for ASCII answers split at C speed (`_ascii_words`)
        self._prompt_words_b = frozenset(w.encode() for w in self._prompt_words if w.isascii())
        self._prompt_ngrams_b = frozenset(
            tuple(w.encode() for w in gram) for gram in prompt_ngrams if all(w.isascii() for w in gram)
        )
        self._ngram = ngram
        self._canary = canary

    def scan(self, text: str) -> Sequence[Finding]:
        found: list[Finding] = []
        if self._validator is not None and not self._conforms(text):
            found.append(Finding(NAME, "output.schema", "SCHEMA", 0, len(text), 1.0))
        if self._max_chars is not None and len(text) > self._max_chars:
            found.append(Finding(NAME, "output.max_length", "OVERFLOW", self._max_chars, len(text), 1.0))
        if self._canary is not None:
            at = text.find(self._canary)
            while at != -1:
                found.append(Finding(NAME, "output.canary", "CANARY", at, at + len(self._canary), 1.0))
                at = text.find(self._canary, at + len(self._canary))
        if self._prompt_ngrams:
            found.extend(self._leaks(text))
        return found

    def _conforms(self, text: str) -> bool:
        assert self._validator is not None
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return False
        return bool(self._validator.is_valid(value))

    def leaks_any(self, text: str) -> bool:
        """Whether some run of `ngram` words of the text is one of the prompt's: words outside the prompt's
        vocabulary split the text, and only stretches of at least `ngram` prompt words are looked up."""
        ascii_words = _ascii_words(text)
        if ascii_words is not None:
            return _has_gram(ascii_words, self._ngram, self._prompt_words_b, self._prompt_ngrams_b)
        words = [w.lower() for w in _WORD.findall(text)]
        return _has_gram(words, self._ngram, self._prompt_words, self._prompt_ngrams)

    def _leaks(self, text: str) -> list[Finding]:
        if not self.leaks_any(text):
            return []
        words = [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
        n = self._ngram
        spans: list[list[int]] = []
        hits: set[tuple[str, ...]] = set()
        for i in range(len(words) - n + 1):
            gram = tuple(w for w, _, _ in words[i : i + n])
            if gram not in self._prompt_ngrams:
                continue
            hits.add(gram)
            start, end = words[i][1], words[i + n - 1][2]
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        coverage = len(hits) / len(self._prompt_ngrams)
        score = round(min(1.0, 0.6 + coverage), 3)
        return [Finding(NAME, "output.system_prompt_leak", "SYSTEM_PROMPT", s, e, score) for s, e in spans]


# ASCII bytes that are not `\w` become spaces: `.split()` then gives `_WORD.findall` of an ASCII text
_NOT_WORD = bytes(b if chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_") else 0x20 for b in range(256))


def _ascii_words(text: str) -> list[bytes] | None:
    """The lower-cased words of an ASCII text (None for other text), without a regular expression: 20x faster."""
    if not text.isascii():
        return None
    return text.lower().encode().translate(_NOT_WORD).split()


def _has_gram(words: list[AnyStr], n: int, vocabulary: frozenset[AnyStr], grams: frozenset[tuple[AnyStr, ...]]) -> bool:
    run = 0  # how many words in a row, ending here, are the prompt's
    for i, word in enumerate(words):
        if word not in vocabulary:
            run = 0
            continue
        run += 1
        if run >= n and tuple(words[i - n + 1 : i + 1]) in grams:
            return True
    return False


def _ngrams(text: str, n: int) -> frozenset[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(text)]
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


@register_detector(NAME)
def make_output(
    *,
    schema: Mapping[str, Any] | None = None,
    max_chars: int | None = None,
    system_prompt: str | None = None,
    ngram: int = 8,
    canary: str | None = None,
) -> OutputDetector:
    """Each option turns on its check; `ngram` is how many consecutive words of the system prompt count as a leak."""
    validator = None
    if schema is not None:
        try:
            validator = jsonschema_rs.validator_for(dict(schema))
        except (jsonschema_rs.ValidationError, ValueError, TypeError) as exc:
            raise DetectorOptionError(f"detector 'output': schema: not a valid JSON Schema: {exc}") from exc
    if max_chars is not None and (isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1):
        raise DetectorOptionError(f"detector 'output': max_chars: expected a positive integer, got {max_chars!r}")
    if not 3 <= ngram <= 64:
        raise DetectorOptionError(f"detector 'output': ngram: expected 3 to 64 words, got {ngram!r}")
    if canary is not None and len(canary) < 8:
        raise DetectorOptionError("detector 'output': canary: expected at least 8 characters (a random marker)")
    if system_prompt:  # a prompt shorter than `ngram` words leaks whole or not at all
        ngram = max(3, min(ngram, len(_WORD.findall(system_prompt))))
    prompt_ngrams = _ngrams(system_prompt, ngram) if system_prompt else frozenset()
    return OutputDetector(validator, max_chars, prompt_ngrams, ngram, canary)
