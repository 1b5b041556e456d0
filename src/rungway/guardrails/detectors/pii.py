"""The `pii` detector: e-mail addresses, phone numbers, payment cards, IBANs, US SSNs and IP addresses.

Structured values are verified, not just shaped: a card passes the Luhn check and falls in a known issuer (IIN)
range, an IBAN has its country's length and passes mod-97, an SSN avoids the ranges never issued, an IP
address parses. Each scan is one cheap pass to find candidates (digit runs, `@`, two capitals and two digits)
and small anchored checks on those alone, so the time stays linear in the text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from rungway.guardrails.detectors.base import Finding
from rungway.guardrails.detectors.pii_tables import IBAN_LENGTHS, card_brand, luhn_valid
from rungway.guardrails.public import register_detector

__all__ = ["RULES", "PiiDetector", "make_pii"]

NAME = "pii"
RULES = ("email", "phone", "card", "iban", "ssn", "ip")

# Candidates: a digit followed by digits and separators (phone, card, SSN, IPv4 share it); runs shorter than
# `_MIN_RUN` serve only the IBAN rule's check digits (two at least, so a lone digit is never a match object).
# Greedy, so each run is whole: the runs of `\d[\d \-.()/]{5,}` are among them.
_DIGIT_RUN = re.compile(r"\d[\d \-.()/]+")
_MIN_RUN = 6
_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_DOMAIN = re.compile(rf"@(?:{_LABEL}\.){{1,8}}[A-Za-z]{{2,24}}(?![A-Za-z0-9-]|\.[A-Za-z0-9])")
_CARD = re.compile(
    r"(?<![\w.+-])(?:\d{12,19}"
    r"|\d{4}(?P<s1>[ -])\d{4}(?P=s1)\d{4}(?P=s1)\d{4}(?:(?P=s1)\d{3})?"  # 16 or 19 digits in fours
    r"|\d{4}(?P<s2>[ -])\d{6}(?P=s2)\d{4,5}"  # Amex 4-6-5, Diners 4-6-4
    r")(?![\w]|[.-]\d)"
)
_SSN = re.compile(r"(?<![\w.+/-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w]|[./-]\d)")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)
_PHONE = re.compile(
    r"(?<![\w+./-])(?:"
    r"(?P<intl>\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d++){1,6})"  # E.164, written with or without spaces
    r"|(?P<nanp>(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4})"  # (415) 555-2671, 415-555-2671
    r"|(?P<uk>0(?:\d{2} \d{4} \d{4}|\d{3} \d{3} \d{4}|\d{4} \d{6}|\d{4} \d{3} \d{3}))"  # 020 7946 0958, 07700 900123
    r"|(?P<fr>0[1-9](?:[ .]\d{2}){4})"  # 01 42 68 53 00
    r"|(?P<de>0\d{2,4}[ /]\d{5,8})"  # 030 901820, 089/1234567
    r"|(?P<bare>[2-9]\d{2}[2-9]\d{6})"  # 4155552671: only where the text says it is a phone
    r")(?![\w]|[.-]\d)"
)
_PHONE_CUE = re.compile(r"(?:call|phone|tel|mobile|cell|text|sms|whatsapp|fax|reach me)\b[^\d\n]{0,12}$", re.I)
_NOT_PHONE_CUES = re.compile(
    r"(?:order|invoice|ref|reference|tracking|ticket|sku|part|serial|po|#|no\.?)\W{0,3}$", re.I
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}")
_ADVERTISED_SSNS = frozenset(("078-05-1120", "219-09-9999", "457-55-5462"))  # printed on sample cards and ads
_SSN_CUE = re.compile(r"(?:ssn|social security)", re.I)
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:]|\.\w)")
_VERSION_CUE = re.compile(r"(?:version|release|build|firmware|v)\s?$", re.I)


def _iban_at(text: str, m: re.Match[str]) -> int | None:
    """Where the IBAN starting at this candidate ends, when its country length and mod-97 hold."""
    candidate = m.group(0).upper()
    length = IBAN_LENGTHS.get(candidate[:2])
    if length is None:
        return None
    compact_positions = [i for i, ch in enumerate(candidate) if ch != " "]
    if len(compact_positions) < length:
        return None
    end = m.start() + compact_positions[length - 1] + 1
    if len(compact_positions) > length and text[end] != " ":
        return None  # runs on into a longer token: not this IBAN
    compact = "".join(candidate[i] for i in compact_positions[:length])
    rearranged = compact[4:] + compact[:4]
    return end if int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1 else None


def _iban_findings(text: str, runs: Sequence[re.Match[str]]) -> list[Finding]:
    """IBANs, tried only where two letters precede a run of two digits or more (the digit runs are found once
    for every rule; `_IBAN` tried at every letter is slow): the same candidates, in order, as searching `_IBAN`
    through the text. A digit after a letter always starts a run, so no candidate is missed."""
    found = []
    after = 0  # a candidate is greedy: the next IBAN may start inside what a failed one swallowed
    for run in runs:
        start = run.start() - 2
        if start < after or not text[run.start() + 1 : run.start() + 2].isdecimal():
            continue
        m = _IBAN.match(text, start)
        end = _iban_at(text, m) if m is not None else None
        if end is not None:
            found.append(Finding(NAME, "pii.iban", "IBAN", start, end, 1.0))
            after = end
    return found


def _email_findings(text: str) -> list[Finding]:
    found = []
    at = text.find("@")
    while at != -1:
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in _EMAIL_LOCAL:
            start -= 1
        while start < at and text[start] in ".-+":
            start += 1
        domain = _EMAIL_DOMAIN.match(text, at)
        local = text[start:at]
        if domain and local and ".." not in local and not local.endswith("."):
            found.append(Finding(NAME, "pii.email", "EMAIL", start, domain.end(), 0.99))
            at = text.find("@", domain.end())
        else:
            at = text.find("@", at + 1)
    return found


def _card_findings(text: str, start: int, end: int) -> list[Finding]:
    found = []
    for m in _CARD.finditer(text, start, end):
        value = m.group(0)
        digits = value.replace(" ", "").replace("-", "")
        if luhn_valid(digits) and card_brand(digits) is not None:
            found.append(Finding(NAME, "pii.card", "CARD", m.start(), m.end(), 1.0))
    return found


def _ssn_findings(text: str, start: int, end: int) -> list[Finding]:
    found = []
    for m in _SSN.finditer(text, start, end):
        area, group, serial = m.group(1), m.group(3), m.group(4)
        if (
            area in ("000", "666")
            or m.group(0) in _ADVERTISED_SSNS
            or area[0] == "9"
            or group == "00"
            or serial == "0000"
        ):
            continue
        cue = _SSN_CUE.search(text, max(0, m.start() - 30), m.start()) is not None
        if m.group(2) != "-" and not cue:
            continue  # spaced or bare digits are an SSN only when the text says so
        found.append(Finding(NAME, "pii.ssn", "SSN", m.start(), m.end(), 0.95 if cue else 0.85))
    return found


def _phone_findings(text: str, start: int, end: int) -> list[Finding]:
    found = []
    lead = start - 1 if start > 0 and text[start - 1] in "+(" else start
    for m in _PHONE.finditer(text, lead, end):
        if m.group("intl") is not None:
            digits = sum(ch.isdigit() for ch in m.group(0))
            if 8 <= digits <= 15:
                found.append(Finding(NAME, "pii.phone", "PHONE", m.start(), m.end(), 0.9))
            continue
        if _NOT_PHONE_CUES.search(text, max(0, m.start() - 16), m.start()):
            continue
        if m.group("bare") is not None and not _PHONE_CUE.search(text, max(0, m.start() - 30), m.start()):
            continue
        found.append(Finding(NAME, "pii.phone", "PHONE", m.start(), m.end(), 0.8))
    return found


def _ipv4_findings(text: str, start: int, end: int) -> list[Finding]:
    return [
        Finding(NAME, "pii.ip", "IP", m.start(), m.end(), 0.9)
        for m in _IPV4.finditer(text, start, end)
        if not _VERSION_CUE.search(text, max(0, m.start() - 10), m.start())  # "version 10.4.22.1"
    ]


def _ipv6_findings(text: str) -> list[Finding]:
    found = []
    for m in _IPV6.finditer(text):
        value = m.group(0)
        if "::" not in value and value.count(":") != 7:
            continue
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        if value.strip(":") == "" or (value.count(":") < 3 and value != "::1"):
            continue
        found.append(Finding(NAME, "pii.ip", "IP", m.start(), m.end(), 0.95))
    return found


class PiiDetector:
    """Personal data in free text, each rule verified beyond its shape where a checksum or range exists."""

    name = NAME
    version = "1"

    def __init__(self, rules: Sequence[str]) -> None:
        self._rules = frozenset(rules)

    def scan(self, text: str) -> Sequence[Finding]:
        rules = self._rules
        found: list[Finding] = []
        if "email" in rules and "@" in text:
            found.extend(_email_findings(text))
        # one pass over the digit runs serves every digit rule; a text without digits skips it (ten memchr tests)
        runs = list(_DIGIT_RUN.finditer(text)) if _may_hold_digits(text) else []
        if "iban" in rules and runs:
            found.extend(_iban_findings(text, runs))
        if "ip" in rules and ("::" in text or text.count(":") >= 7):
            found.extend(_ipv6_findings(text))
        for run in runs:
            if run.end() - run.start() < _MIN_RUN:
                continue
            start, end = run.start(), min(len(text), run.end() + 1)
            if "card" in rules:
                found.extend(_card_findings(text, start, end))
            if "ssn" in rules:
                found.extend(_ssn_findings(text, start, end))
            if "ip" in rules and "." in run.group(0):
                found.extend(_ipv4_findings(text, start, end))
            if "phone" in rules:
                found.extend(_phone_findings(text, start, end))
        return _without_overlaps(found)


def _may_hold_digits(text: str) -> bool:
    """False only when the text surely has no decimal digit (ASCII text without 0-9)."""
    return not text.isascii() or any(digit in text for digit in "0123456789")


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    """Where rules claim the same characters, keep the surer (a verified card over a phone-shaped run)."""
    found.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for f in found:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    kept.sort(key=lambda f: f.start)
    return kept


@register_detector(NAME)
def make_pii(*, rules: Sequence[str] = RULES) -> PiiDetector:
    """`rules`: which of email, phone, card, iban, ssn, ip to look for (all by default)."""
    from rungway.guardrails.detectors.base import DetectorOptionError

    unknown = sorted(set(rules) - set(RULES))
    if isinstance(rules, str) or unknown:
        raise DetectorOptionError(
            f"detector 'pii': rules: unknown {unknown or rules!r}. Fix: pick from {', '.join(RULES)}"
        )
    return PiiDetector(rules)
