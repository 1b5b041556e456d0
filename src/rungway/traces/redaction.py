"""Mask secrets in captured prompts and outputs before they are stored.

Workloads whose content capture is `redacted` keep prompts and outputs but with API keys,
cloud credentials, bearer tokens and `password=...` style values replaced by a marker that
names what was removed. One compiled alternation, one pass per string; a long string is scanned
in windows, so the regex engine (which holds the GIL while it runs) never runs for long at a time
and a redaction in a worker thread does not stall the event loop.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED:{}]"

_PATTERNS: tuple[tuple[str, str], ...] = (
    ("private_key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    ("bearer", r"(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{8,}"),
    ("api_key", r"\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,}"),
    ("rungway_key", r"\brw-[A-Za-z0-9_\-]{16,}"),
    ("aws_access_key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    ("slack_token", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    (
        "credential",
        r"(?i:\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)"
        r"\b[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+",
    ),
)
_SECRETS = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS))
_CREDENTIAL_VALUE = re.compile(r"([:=]\s*[\"']?)[^\s\"',;&]+$")


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup or "secret"
    if kind == "credential":
        # Keep `password=` so the reader sees what was there, mask only the value.
        return _CREDENTIAL_VALUE.sub(lambda m: m.group(1) + MASK.format(kind), match.group(0))
    return MASK.format(kind)


# Scan long strings this many characters at a time, looking this far past a window for a secret
# that starts inside it (a match reaching the look-ahead's end is completed without a bound).
WINDOW = 16_384
_LOOK_AHEAD = 8_192


def redact_text(text: str) -> str:
    """`text` with every secret the patterns know replaced by `[REDACTED:<kind>]`."""
    if len(text) <= WINDOW:
        return _SECRETS.sub(_replace, text)
    out: list[str] = []
    done = 0  # text[:done] is in `out`
    start = 0
    size = len(text)
    while start < size:
        end = min(size, start + WINDOW)
        horizon = min(size, end + _LOOK_AHEAD)
        for match in _SECRETS.finditer(text, start, horizon):
            if match.start() >= end:
                break
            found: re.Match[str] | None = match
            if match.end() == horizon and horizon < size:
                found = _SECRETS.match(text, match.start())  # the secret may go on past the look-ahead
            assert found is not None
            out.append(text[done : found.start()])
            out.append(_replace(found))
            done = found.end()
        start = max(end, done)
    out.append(text[done:])
    return "".join(out)


def safe_cut(text: str, limit: int) -> str:
    """`text[:limit]`, shortened so that the cut never leaves the start of a secret unmasked."""
    cut = limit
    for match in _SECRETS.finditer(text, max(0, limit - _LOOK_AHEAD), min(len(text), limit + _LOOK_AHEAD)):
        if match.start() < cut < match.end():
            cut = match.start()
    return text[:cut]


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, scalars), returning a copy."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
