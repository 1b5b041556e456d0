"""The exact cache's key: what must change it, and what must not.

The key hashes the namespace (the workload; a tenant's too, once tenants exist), the resolved model (what the
call would be sent as, after pins and routes) and every request field that can change the answer: the messages
as rendered (a registry prompt is expanded before this step, so its version and variables are in them), the
tools and tool choice, the response format, sampling parameters, stop sequences, `n`, `seed`, reasoning
effort and so on. Fields that only change how the answer travels or is accounted (`stream`, `stream_options`,
`user`, `metadata`, `store`, `service_tier`, the prompt-cache hints) do not. Any field we do not know is in
the key: an unknown field may change the answer, and a wrong hit is worse than a miss.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import orjson

__all__ = ["IGNORED_FIELDS", "exact_key", "prompt_guards", "prompt_text", "strict_hash"]

IGNORED_FIELDS = frozenset(
    {
        "model",  # the resolved model is keyed instead of the name the caller used
        "stream",
        "stream_options",
        "user",
        "metadata",
        "store",
        "service_tier",
        "prompt_cache_key",
        "safety_identifier",
    }
)


def exact_key(namespace: str, model: str, body: dict[str, Any]) -> str:
    """Hex SHA-256 of the namespace, the resolved model and the answer-changing fields, key order ignored."""
    fields = body if IGNORED_FIELDS.isdisjoint(body) else {k: v for k, v in body.items() if k not in IGNORED_FIELDS}
    digest = hashlib.sha256()
    digest.update(namespace.encode())
    digest.update(b"\x00")
    digest.update(model.encode())
    digest.update(b"\x00")
    digest.update(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))
    return digest.hexdigest()


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def strict_hash(body: dict[str, Any]) -> str:
    """What a strict semantic hit must share with the call, hashed: the system and developer messages, every
    number in the conversation (an order number or a quantity one digit apart is another question) and its
    negations (`not`, `never`, `without`, ...: "with" and "without" embed alike). Measured on the labelled
    paraphrase set in bench/cache/paraphrase.py."""
    digest = hashlib.blake2b(digest_size=16)
    for message in body.get("messages") or ():
        if isinstance(message, dict) and message.get("role") in ("system", "developer"):
            digest.update(_text_of(message.get("content")).encode())
            digest.update(b"\x00")
    digest.update(b"\x01")
    digest.update("\x00".join(prompt_guards(prompt_text(body))).encode())
    return digest.hexdigest()


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|without|except|neither|nor|cannot)\b|n't\b", re.IGNORECASE)


def prompt_guards(text: str) -> list[str]:
    """The prompt's numbers and its negation words, each sorted with repeats. (A guard on directions, `A to B`
    against `B to A`, was measured too: it halved recall for little precision, so it is not here.)"""
    return sorted(_NUMBER.findall(text)) + sorted(m.lower() for m in _NEGATION.findall(text))


def prompt_text(body: dict[str, Any], max_chars: int = 8_000) -> str:
    """What a semantic lookup embeds: the conversation's user and assistant turns (the last `max_chars`)."""
    parts = [
        _text_of(m.get("content"))
        for m in body.get("messages") or ()
        if isinstance(m, dict) and m.get("role") not in ("system", "developer")
    ]
    text = "\n".join(p for p in parts if p)
    return text[-max_chars:]
