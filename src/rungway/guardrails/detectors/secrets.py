"""The `secrets` detector: providers' API keys and tokens, private keys, passwords in URLs, high-entropy tokens.

Provider rules follow each issuer's published format (fixed prefix, charset and length), so they are precise;
a JWT counts only when its header decodes to JSON naming an `alg`. The generic rule catches the rest by
Shannon entropy over long tokens, skipping hex-only strings (git SHAs, digests) and UUIDs, which are
identifiers far more often than secrets. One alternation finds every provider-shaped candidate in one pass.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Sequence

import ahocorasick_rs
import orjson

from rungway.guardrails.detectors.base import DetectorOptionError, Finding
from rungway.guardrails.public import register_detector

__all__ = ["RULES", "SecretsDetector", "make_secrets", "shannon_entropy"]

NAME = "secrets"
_T = r"(?![A-Za-z0-9_-])"  # a token ends where its charset does
_S = r"(?<![A-Za-z0-9_-])"  # and starts where it does (so a run of "eyJeyJ..." is not tried at every "eyJ")

# rule -> (pattern, kind, score); the order is the alternation's, so longer prefixes come first.
_PROVIDERS: dict[str, tuple[str, str, float]] = {
    "anthropic_key": (_S + r"sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,200}" + _T, "ANTHROPIC_KEY", 1.0),
    "openai_key": (
        _S
        + r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,250}"
        + r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})"
        + _T,
        "OPENAI_KEY",
        1.0,
    ),
    "aws_access_key": (
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}(?![A-Z0-9])",
        "AWS_KEY",
        1.0,
    ),
    "github_token": (
        _S + r"(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" + _T,
        "GITHUB_TOKEN",
        1.0,
    ),
    "gitlab_token": (
        _S + r"gl(?:pat|dt|rt|ptt|cbt|imt|oas|ft|soat|agent)-[A-Za-z0-9_-]{20,64}" + _T,
        "GITLAB_TOKEN",
        1.0,
    ),
    "slack_token": (_S + r"xox[abposre]-(?:\d{6,15}-){1,3}[A-Za-z0-9]{20,48}" + _T, "SLACK_TOKEN", 1.0),
    "slack_webhook": (
        r"hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}" + _T,
        "SLACK_WEBHOOK",
        1.0,
    ),
    "stripe_key": (
        _S + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,247}" + _T + r"|whsec_[A-Za-z0-9]{32,64}" + _T,
        "STRIPE_KEY",
        1.0,
    ),
    "google_api_key": (_S + r"AIza[0-9A-Za-z_-]{35}" + _T, "GOOGLE_KEY", 1.0),
    "jwt": (_S + r"eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{2,8000}\.[A-Za-z0-9_-]{16,1000}" + _T, "JWT", 1.0),
    "private_key": (r"-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----", "PRIVATE_KEY", 1.0),
    "aws_secret_key": (
        r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
        r"(?P<aws_secret_value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        "AWS_SECRET",
        1.0,
    ),
    "url_password": (
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@?#\"'<>]{0,64}:(?P<password_value>[^\s/@?#\"'<>]{1,128})@",
        "PASSWORD",
        0.95,
    ),
}
RULES = (*_PROVIDERS, "high_entropy")
# Literal substrings one of which every match contains: a rule's expression runs only when one occurs
# (all of them found in one Aho-Corasick pass; a regular expression tried at every position is far slower).
_ANCHORS: dict[str, tuple[str, ...]] = {
    "anthropic_key": ("sk-ant-",),
    "openai_key": ("sk-",),
    "aws_access_key": ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "gitlab_token": tuple(f"gl{t}-" for t in ("pat", "dt", "rt", "ptt", "cbt", "imt", "oas", "ft", "soat", "agent")),
    "slack_token": ("xox",),
    "slack_webhook": ("hooks.slack.com",),
    "stripe_key": ("_live_", "_test_", "whsec_"),
    "google_api_key": ("AIza",),
    "jwt": ("eyJ",),
    "private_key": ("-----BEGIN",),
    "aws_secret_key": ("ecret", "ECRET"),
    "url_password": ("://",),
}
# Rules whose every match begins with one of their anchors (after a look-behind): matched at anchor starts only.
# The others have their anchor inside the match (`sk_live_`, `aws_secret_access_key=`, `https://user:pw@`).
_STARTS_AT_ANCHOR = frozenset(_PROVIDERS) - {"stripe_key", "aws_secret_key", "url_password"}
_COMPILED = {rule: re.compile(f"(?P<{rule}>{pattern})") for rule, (pattern, _, _) in _PROVIDERS.items()}
_VALUE_GROUPS = {"aws_secret_key": "aws_secret_value", "url_password": "password_value"}
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s:,-]{0,16384}")
_PLACEHOLDER_PASSWORDS = re.compile(r"[$%{<\[]|(?i:pass(?:word)?|secret|changeme|redacted|\*+|x+)$")
_TOKEN = re.compile(r"[A-Za-z0-9+/_.-]{24,512}={0,2}")
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Long random-looking text that is public by design: SSH public keys, data URIs, subresource-integrity digests.
_PUBLIC_BEFORE = re.compile(r"(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d{3}) $|base64,$")
_PUBLIC_PREFIXES = ("pk_live_", "pk_test_", "sha1-", "sha256-", "sha384-", "sha512-")
_SECRET_CUE = re.compile(r"(?i:key|token|secret|passw|pwd|auth|bearer|credential)")


# `_TOKEN`'s characters as "t", the rest as spaces: an ASCII text holds a token only if it holds 24 "t"s in a row
# (a byte translation and a memmem, ~50x cheaper than `_TOKEN` tried at every position)
_TOKEN_BYTES = bytes(0x74 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/_.-") else 0x20 for b in range(256))
_TOKEN_RUN = b"t" * 24


def _may_hold_token(text: str) -> bool:
    """False only when `_TOKEN` surely finds nothing (an ASCII text without 24 token characters in a row)."""
    return not text.isascii() or _TOKEN_RUN in text.encode().translate(_TOKEN_BYTES)


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    counts = Counter(value)
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _jwt_header_ok(token: str) -> bool:
    header = token.split(".", 1)[0]
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


class SecretsDetector:
    """Credentials in text: provider formats first, then long random-looking tokens."""

    name = NAME
    version = "1"

    def __init__(self, rules: Sequence[str], min_entropy: float, min_length: int) -> None:
        self._rules = frozenset(rules)
        self._provider_rules = tuple(rule for rule in _PROVIDERS if rule in self._rules)
        self._min_entropy = min_entropy
        self._min_length = min_length
        anchors = sorted({a for rule in self._provider_rules for a in _ANCHORS[rule]})
        self._anchors = ahocorasick_rs.AhoCorasick(anchors) if anchors else None
        self._gated = tuple(
            frozenset(rule for rule in self._provider_rules if anchor in _ANCHORS[rule]) for anchor in anchors
        )

    def candidates(self, text: str) -> dict[str, list[int]]:
        """The provider rules one of whose anchors occurs in the text (one pass), each with the anchors' starts,
        in the alternation's order."""
        if self._anchors is None:
            return {}
        starts: dict[str, set[int]] = {}
        for index, start, _ in self._anchors.find_matches_as_indexes(text, overlapping=True):
            for rule in self._gated[index]:
                starts.setdefault(rule, set()).add(start)
        return {rule: sorted(starts[rule]) for rule in self._provider_rules if rule in starts}

    def scan(self, text: str) -> Sequence[Finding]:
        found: list[Finding] = []
        for rule, starts in self.candidates(text).items():
            for m in self._matches(rule, text, starts):
                found.extend(self._verified(rule, m, text))
        if "high_entropy" in self._rules:
            found.extend(self._high_entropy(text, found))
        return found

    @staticmethod
    def _matches(rule: str, text: str, starts: list[int]) -> list[re.Match[str]]:
        if rule in _STARTS_AT_ANCHOR:  # every match begins at an anchor: try there only, as finditer would
            matches = []
            after = 0
            for start in starts:
                m = _COMPILED[rule].match(text, start) if start >= after else None
                if m is not None:
                    matches.append(m)
                    after = m.end()
            return matches
        if rule != "url_password":
            return list(_COMPILED[rule].finditer(text))
        matches = []  # anchored at each "://": the scheme before it is at most 21 characters
        at = text.find("://")
        while at != -1:
            m = _COMPILED[rule].search(text, max(0, at - 21), at + 260)
            if m is not None and m.start() <= at:
                matches.append(m)
            at = text.find("://", at + 3)
        return matches

    def _verified(self, rule: str, m: re.Match[str], text: str) -> list[Finding]:
        _, kind, score = _PROVIDERS[rule]
        start, end = m.span(_VALUE_GROUPS.get(rule, rule))
        if rule == "jwt" and not _jwt_header_ok(m.group(0)):
            return []
        if rule == "url_password" and _PLACEHOLDER_PASSWORDS.match(m.group("password_value")):
            return []
        if rule == "private_key":
            end = self._pem_end(text, end)
        return [Finding(NAME, f"secrets.{rule}", kind, start, end, score)]

    @staticmethod
    def _pem_end(text: str, header_end: int) -> int:
        footer = _PEM_END.search(text, header_end, header_end + 16500)
        if footer is not None:
            return footer.end()
        body = _PEM_BODY.match(text, header_end)
        return body.end() if body else header_end

    def _high_entropy(self, text: str, known: list[Finding]) -> list[Finding]:
        found: list[Finding] = []
        if not _may_hold_token(text):
            return found
        for m in _TOKEN.finditer(text):
            start, end = m.span()
            value = m.group(0).strip("=.-/")
            if len(value) < self._min_length or any(f.start < end and start < f.end for f in known):
                continue
            if value.startswith(_PUBLIC_PREFIXES) or _PUBLIC_BEFORE.search(text, max(0, start - 24), start):
                continue
            if _HEX_OR_UUID.fullmatch(value) or "//" in value or value.count(".") > 2 or value.count("/") > 2:
                continue  # digests, ids, paths, dotted names
            classes = sum(
                (any(c.islower() for c in value), any(c.isupper() for c in value), any(c.isdigit() for c in value))
            )
            if classes < 3 or shannon_entropy(value) < self._min_entropy:
                continue
            cue = _SECRET_CUE.search(text, max(0, start - 40), start) is not None
            found.append(Finding(NAME, "secrets.high_entropy", "SECRET", start, end, 0.9 if cue else 0.7))
        return found


@register_detector(NAME)
def make_secrets(*, rules: Sequence[str] = RULES, min_entropy: float = 4.0, min_length: int = 24) -> SecretsDetector:
    """`rules`: which rules to run (all by default); `min_entropy` (bits per character) and `min_length` tune
    the generic high-entropy rule."""
    unknown = sorted(set(rules) - set(RULES))
    if isinstance(rules, str) or unknown:
        raise DetectorOptionError(
            f"detector 'secrets': rules: unknown {unknown or rules!r}. Fix: pick from {', '.join(RULES)}"
        )
    if not 0.0 < min_entropy <= 8.0 or not 8 <= min_length <= 512:
        raise DetectorOptionError("detector 'secrets': expected 0 < min_entropy <= 8 and 8 <= min_length <= 512")
    return SecretsDetector(rules, min_entropy, min_length)
