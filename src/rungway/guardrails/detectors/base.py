"""The detector interface every member of the family implements, built in or third party.

A `Detector` scans text and returns `Finding`s: character offsets into the scanned text and a typed `kind`,
so a caller can block, flag or redact (`redaction.py`) without the detector knowing the policy. A finding
never carries the matched value: whoever holds the text slices it, so records can name the rule and never
the secret.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Detector", "DetectorFactory", "DetectorOptionError", "Finding", "UnknownDetector"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One hit: which detector and rule, the placeholder kind for redaction, where (end exclusive), how sure."""

    detector: str  # registry name, e.g. "pii", "secrets", "injection", "terms", "output"
    rule: str  # e.g. "pii.email", "pii.card", "secrets.aws_access_key", "injection.ignore_previous"
    kind: str  # typed placeholder kind for redaction, e.g. "EMAIL", "CARD", "AWS_KEY"
    start: int  # character offsets in the scanned text (end exclusive)
    end: int
    score: float  # 0..1 (1.0 for checksum-verified structured matches)


class Detector(Protocol):
    """Scans one text; pure, CPU only, bounded time on bounded input, safe to share between threads."""

    name: str
    version: str

    def scan(self, text: str) -> Sequence[Finding]: ...


DetectorFactory = Callable[..., Detector]
"""Builds a configured detector from keyword options (`detector("terms", terms=["acme"])`)."""


class UnknownDetector(LookupError):
    """No registered detector has this name."""


class DetectorOptionError(ValueError):
    """A detector was given an option it does not take, or a value it cannot use."""
