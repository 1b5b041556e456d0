"""Deterministic text and token counts for the simulator."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_WORDS = [
    "the",
    "a",
    "model",
    "answer",
    "gateway",
    "request",
    "token",
    "latency",
    "cost",
    "budget",
    "trace",
    "span",
    "workload",
    "evaluation",
    "prompt",
    "user",
    "system",
    "tool",
    "result",
    "simulated",
    "offline",
    "deterministic",
    "reply",
    "context",
    "retrieval",
    "policy",
    "review",
    "release",
    "stage",
    "platform",
    "metric",
    "signal",
    "error",
    "retry",
    "route",
    "cache",
    "provider",
    "stream",
    "chunk",
    "value",
    "data",
    "record",
    "window",
    "threshold",
    "check",
    "evidence",
    "team",
    "report",
    "output",
    "input",
    "schema",
    "field",
    "example",
]


def count_tokens(text: str) -> int:
    """An approximation of a BPE tokenizer: words and punctuation marks count one token each."""
    return len(_TOKEN.findall(text))


def split_tokens(text: str) -> list[str]:
    """Split text into pieces that join back to it exactly, one piece per counted token."""
    pieces: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        pieces.append(text[last : match.end()])
        last = match.end()
    if pieces and last < len(text):
        pieces[-1] += text[last:]
    elif not pieces and text:
        pieces.append(text)
    return pieces


def content_text(content: Any) -> str:
    """The text of a message's content: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def prompt_tokens(messages: list[dict[str, Any]], tools: list[Any] | None) -> int:
    """Prompt tokens the way OpenAI counts them: content plus a few tokens per message."""
    total = 3
    for message in messages:
        total += 4 + count_tokens(content_text(message.get("content")))
        for call in message.get("tool_calls") or []:
            function = call.get("function")
            if not isinstance(function, dict):
                continue
            total += count_tokens(str(function.get("name", ""))) + count_tokens(str(function.get("arguments", "")))
    if tools:
        import json

        total += count_tokens(json.dumps(tools))
    return total


def rng_for(*parts: Any) -> random.Random:
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def reply_text(rng: random.Random, last_user: str, words: tuple[int, int]) -> str:
    """A deterministic reply that names what it answers, so demos read sensibly."""
    topic = " ".join(last_user.split()[:8]).strip()
    count = rng.randint(words[0], max(words[0], words[1]))
    body = " ".join(rng.choice(_WORDS) for _ in range(count))
    head = f'Simulated answer to "{topic}": ' if topic else "Simulated answer: "
    return head + body[:1].upper() + body[1:] + "."
