"""How a text search over span content is spelled as LIKE patterns, on SQLite and PostgreSQL.

Span content is bytes: a protobuf span as received, or JSON. Text a user searches for can sit in it
three ways: as written (a string attribute, or JSON that keeps non-ASCII characters); JSON-escaped
once (a message list an instrumentation serialised with `json.dumps`: `caf\\u00e9`, `\\"`), or twice
(that JSON string stored again inside Rungway's JSON content). `search_patterns` gives one pattern
per spelling, so a search finds `café`, `Привет` or `😀` whichever way the instrumentation wrote it.

PostgreSQL reads bytea as text only through `encode(content, 'escape')`, which writes each byte
>= 0x80 as `\\ooo` and doubles backslashes; the patterns are escaped the same way there (matching is
then byte-exact outside ASCII, as SQLite's LIKE is: case-insensitive for ASCII letters only).
SQLite's LIKE reads a BLOB only up to its first NUL byte (protobuf content has them), so there each
spelling is also looked for byte for byte with `instr` (`search_needles`), which reads every byte.
"""

from __future__ import annotations

import json


def _spellings(text: str) -> list[str]:
    once = [text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]]
    twice = [json.dumps(s, ensure_ascii=False)[1:-1] for s in once] + [json.dumps(s)[1:-1] for s in once]
    return list(dict.fromkeys(once + twice))


def _pg_escape_bytes(text: str) -> str:
    """`text` as PostgreSQL's encode(convert_to(text, 'UTF8'), 'escape') writes it."""
    out = []
    for byte in text.encode("utf-8", "surrogatepass"):
        if byte == 0 or byte >= 0x80:
            out.append(f"\\{byte:03o}")
        elif byte == 0x5C:
            out.append("\\\\")
        else:
            out.append(chr(byte))
    return "".join(out)


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_patterns(text: str, *, pg_escape: bool) -> list[str]:
    """`%...%` LIKE patterns (escape character `\\`) matching `text` in any of its stored spellings."""
    spelled = _spellings(text)
    if pg_escape:
        spelled = [_pg_escape_bytes(s) for s in spelled]
    return [f"%{_like_literal(s)}%" for s in dict.fromkeys(spelled)]


def search_needles(text: str) -> list[bytes]:
    """Each spelling of `text` as UTF-8 bytes, for a byte-exact search of the whole content."""
    return [s.encode("utf-8", "surrogatepass") for s in _spellings(text)]


__all__ = ["search_needles", "search_patterns"]
