"""The simulator's embeddings: lexical feature hashing, so texts that share words are near each other.

A semantic cache, the `similar` scorer and their demos run offline on the simulator, so its vectors must
carry some meaning: two phrasings of one question land close together, unrelated texts do not. A text is
cut into lower-cased word unigrams and bigrams and the character 3-grams of its words; each feature is
hashed to a dimension and a sign, weighted by its kind and by sublinear term frequency (1 + ln count),
and the sum is L2-normalised. It is a bag of words, not a model: synonyms ("car", "automobile") are
unrelated, and word order counts only through the bigrams.

The hash is CRC-32 (zlib): stable across processes and platforms, unlike Python's salted `hash`, and
eight times faster than a keyed blake2b here, which keeps a 2 kB text under a millisecond. The seed and
the feature's kind pick the CRC's start value, so another seed hashes every feature elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import zlib
from collections import Counter
from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["embed_text"]

_WORD = re.compile(r"\w+")
_SHARE = math.sqrt(0.5)  # each of a feature's two slots: the pair keeps its weight's norm

# Whole words say most; bigrams add a little word order; character 3-grams of words catch inflections
# ("reset" / "resets") and spelling variants. A function word says less than a content word: without a
# corpus for idf weights, a short list stands in.
UNIGRAM_WEIGHT = 1.0
FUNCTION_WORD_WEIGHT = 0.3
BIGRAM_WEIGHT = 0.5
TRIGRAM_WEIGHT = 0.25

_FUNCTION_WORD_LIST = """a an and are as at be but by can could did do does for from had has have how i if in is it
its me my of on or our should so that the their them they this to was we were what when where which who why will
with would you your"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())


class _Starts(NamedTuple):
    """The CRC start value of each kind of feature under one seed."""

    word: int
    bigram: int
    trigram: int
    fallback: int


@functools.lru_cache(maxsize=64)
def _starts(seed: int) -> _Starts:
    return _Starts(*(zlib.crc32(f"{kind}:{seed}".encode()) for kind in ("word", "bigram", "trigram", "fallback")))


def embed_text(text: str, dims: int, seed: int) -> list[float]:
    """A unit vector of `dims` floats for the text; the same text, dims and seed give the same vector."""
    starts = _starts(seed)
    words = _WORD.findall(text.lower()) or text.lower().split()  # punctuation only ("???") still differs
    word_counts = Counter(words)
    function_words = {word: word_counts.pop(word) for word in FUNCTION_WORDS.intersection(word_counts)}
    trigram_counts = _trigram_counts(words)
    bigram_counts = Counter(map(" ".join, itertools.pairwise(words)))
    vector = [0.0] * dims
    _scatter(vector, word_counts, UNIGRAM_WEIGHT, starts.word)
    _scatter(vector, function_words, FUNCTION_WORD_WEIGHT, starts.word)
    _scatter(vector, bigram_counts, BIGRAM_WEIGHT, starts.bigram)
    _scatter(vector, trigram_counts, TRIGRAM_WEIGHT, starts.trigram)
    norm = math.hypot(*vector)
    if norm == 0.0:  # nothing to hash, or (at a few dims) features that cancel out: a fixed unit vector
        bits = zlib.crc32(text.strip().encode(), starts.fallback)
        vector = [0.0] * dims
        vector[(bits >> 1) % dims] = -1.0 if bits & 1 else 1.0
        return vector
    return [v / norm for v in vector]


def _trigram_counts(words: list[str]) -> Counter[str]:
    """The character 3-grams of each word padded as `<word>`, counted over all the words.

    The words are joined into one string and every window of it counted in C (a loop over each word's
    windows costs half again as much); the windows that straddle two words hold `><` and are dropped.
    """
    joined = "<" + "><".join(words) + ">"
    counts = Counter(map("".join, zip(joined, joined[1:], joined[2:], strict=False)))
    for straddling in [gram for gram in counts if "><" in gram]:
        del counts[straddling]
    return counts


def _scatter(vector: list[float], counts: Mapping[str, int], weight: float, start: int) -> None:
    """Add each feature at its weight times 1 + ln(count), split over two signed slots of its hash.

    Two slots rather than one: two features that collide share half their weight, not all of it, which
    halves the spurious similarity a collision adds between unrelated short texts.
    """
    dims = len(vector)
    crc32 = zlib.crc32
    for feature, count in counts.items():
        share = _SHARE * (weight if count == 1 else weight * (1.0 + math.log(count)))
        bits = crc32(feature.encode(), start)
        vector[(bits & 0x7FFF) % dims] += -share if bits & 0x8000 else share
        vector[(bits >> 16 & 0x7FFF) % dims] += -share if bits & 0x80000000 else share
