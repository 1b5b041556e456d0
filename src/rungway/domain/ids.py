"""Identifiers: sortable, random, URL-safe."""

from __future__ import annotations

import os
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# Every 10-bit value as its two base32 characters: an id is 13 lookups instead of 26 (on the hot path).
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_SHIFTS = range(120, -1, -10)


def new_id(prefix: str = "") -> str:
    """A 26-character time-ordered id (48-bit ms timestamp + 80 random bits, Crockford base32)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return prefix + "".join([_PAIRS[(value >> shift) & 1023] for shift in _SHIFTS])


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex characters, not all zero."""
    return secrets.token_hex(16)


def new_span_id() -> str:
    """A W3C span id: 16 lowercase hex characters."""
    return secrets.token_hex(8)
