"""The simulator's moderations: OpenAI's answer shape, decided offline by a shipped keyword list per category.

Deterministic (same input, same scores) so tests and demos can flag content on purpose: an input that holds a
category's keyword (a whole word, any case) is flagged for it with a high score; every other category gets a
small score derived from the text's hash. An image part counts by its URL's words, so a test can flag one.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from rungway.errors import InvalidRequest

__all__ = ["CATEGORIES", "KEYWORDS", "moderation_results"]

CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# Which categories OpenAI's omni-moderation reads from images too (the others are text only).
_IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)

KEYWORDS: dict[str, frozenset[str]] = {
    "harassment": frozenset({"idiot", "loser", "pathetic"}),
    "harassment/threatening": frozenset({"hunt you down", "you will regret"}),
    "hate": frozenset({"subhuman", "vermin"}),
    "hate/threatening": frozenset({"exterminate them"}),
    "illicit": frozenset({"counterfeit", "launder money", "shoplift"}),
    "illicit/violent": frozenset({"build a bomb", "make a weapon"}),
    "self-harm": frozenset({"self-harm", "hurt myself"}),
    "self-harm/intent": frozenset({"end my life", "want to die"}),
    "self-harm/instructions": frozenset({"how to cut myself"}),
    "sexual": frozenset({"explicit sex", "nsfw"}),
    "sexual/minors": frozenset({"underage sex"}),
    "violence": frozenset({"kill", "stab", "shoot", "murder"}),
    "violence/graphic": frozenset({"gore", "dismember"}),
}
_PATTERNS = {
    category: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")\b", re.IGNORECASE)
    for category, words in KEYWORDS.items()
}


def _parts(value: object) -> list[tuple[str, str]]:
    """(kind, text) for each part of the request's `input`: "text" or "image" (an image by its URL)."""
    if isinstance(value, str):
        return [("text", value)]
    if not isinstance(value, list) or not value:
        raise InvalidRequest("'input' must be a non-empty string or array.", param="input")
    parts: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            parts.append(("text", item))
        elif isinstance(item, dict) and item.get("type") == "text" and isinstance(item.get("text"), str):
            parts.append(("text", item["text"]))
        elif isinstance(item, dict) and item.get("type") == "image_url":
            url = (item.get("image_url") or {}).get("url") if isinstance(item.get("image_url"), dict) else None
            if not isinstance(url, str):
                raise InvalidRequest(f"input[{index}].image_url.url must be a string.", param=f"input[{index}]")
            parts.append(("image", url))
        else:
            raise InvalidRequest(f"input[{index}] must be a string, a text part or an image_url part.", param="input")
    return parts


def _background(text: str, category: str) -> float:
    digest = hashlib.blake2b(f"{category}\0{text}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32 * 0.01  # under 1%: never flagged


def _result(kind: str, text: str) -> dict[str, Any]:
    categories: dict[str, bool] = {}
    scores: dict[str, float] = {}
    applied: dict[str, list[str]] = {}
    for category in CATEGORIES:
        readable = kind == "text" or category in _IMAGE_CATEGORIES
        hit = readable and _PATTERNS[category].search(text.replace("-", " ") if kind == "image" else text) is not None
        categories[category] = hit
        scores[category] = 0.97 if hit else _background(text, category)
        applied[category] = [kind] if readable else []
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }


def moderation_results(value: object) -> list[dict[str, Any]]:
    """One result per input: a string, or each element of an array (a text or an image_url part)."""
    return [_result(kind, text) for kind, text in _parts(value)]
