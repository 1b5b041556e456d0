"""Identifiers: sortable, random, URL-safe.

Ids must be unique, not unpredictable: none of them is a secret (API key secrets come from
`secrets`, in domain/keys.py). They are drawn from a private generator seeded by the OS and
re-seeded in forked children, because a getrandom() system call per id was a measurable share of
a gateway call's CPU (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import random
import time

_rng = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _rng.seed(os.urandom(32)))

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# Every 10-bit value as its two base32 characters: an id is 13 lookups instead of 26 (on the hot path).
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = range(120, -1, -10)


def new_id(prefix: str = "") -> str:
    """A 26-character time-ordered id (48-bit ms timestamp + 80 random bits, Crockford base32)."""
    value = (int(time.time() * 1000) << 80) | _rng.getrandbits(80)
    return prefix + "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex characters, time-ordered: 48-bit ms timestamp + 80 random bits.

    Like AWS X-Ray's ids, the time prefix keeps a valid trace id; it makes the three trace-id
    indexes every gateway call writes (requests, spans, traces) grow at their end instead of
    dirtying a random page each, which halved the store's CPU per call on SQLite (docs/benchmarks.md).
    """
    return f"{int(time.time() * 1000):012x}{_rng.getrandbits(80):020x}"


def new_span_id() -> str:
    """A W3C span id: 16 lowercase hex characters, not all zero."""
    value = 0
    while not value:
        value = _rng.getrandbits(64)
    return f"{value:016x}"
