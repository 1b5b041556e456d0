"""Byte scans of one `chat.completion.chunk`'s JSON, so a relay need not parse every chunk.

A streamed answer is mostly chunks that only go from the upstream to the client; what the gateway
must know of each (does it carry usage, an error, any choice?) is found by looking for the key in
the raw bytes. A key is a JSON string followed by `:` (a string value never is), so a match is
exact whatever the spacing; when a scan is unsure it says "parse it", never a wrong answer.
"""

from __future__ import annotations

_SPACE = b" \t\r\n"


def value_at(raw: bytes, key: bytes) -> int:
    """Where the value of the first `key` (quoted, e.g. `b'"usage"'`) starts in `raw`, or -1."""
    size = len(raw)
    at = raw.find(key)
    while at >= 0:
        i = at + len(key)
        while i < size and raw[i] in _SPACE:
            i += 1
        if i < size and raw[i] == 58:  # ':' ends a key
            i += 1
            while i < size and raw[i] in _SPACE:
                i += 1
            return i
        at = raw.find(key, at + 1)
    return -1


def needs_parsing(raw: bytes) -> bool:
    """True unless `raw` is surely a plain JSON object chunk with no usage and no error: such a chunk is
    relayed as bytes and parsed later, if at all."""
    if raw[:1] != b"{" or raw[-1:] != b"}":
        return True  # not an object, or padded: let the parser decide
    if b'"error"' in raw:
        return True
    usage = value_at(raw, b'"usage"')
    return usage >= 0 and not raw.startswith(b"null", usage)


def has_choices(raw: bytes) -> bool:
    """True when the chunk's `choices` holds at least one choice (False for `[]`, null or no key)."""
    at = value_at(raw, b'"choices"')
    if at < 0 or raw[at : at + 1] != b"[":
        return False
    at += 1
    size = len(raw)
    while at < size and raw[at] in _SPACE:
        at += 1
    return at < size and raw[at] != 93  # ']'
