"""Identifiers: sortable, random, URL-safe."""

from __future__ import annotations

import os
import secrets
import time


def new_id(prefix: str = "") -> str:
    """A 26-character time-ordered id (48-bit ms timestamp + 80 random bits, Crockford base32)."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    chars = []
    for _ in range(26):
        chars.append(alphabet[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))


def new_trace_id() -> str:
    """A W3C trace id: 32 lowercase hex characters, not all zero."""
    return secrets.token_hex(16)


def new_span_id() -> str:
    """A W3C span id: 16 lowercase hex characters."""
    return secrets.token_hex(8)
