"""The detector interface every member of the family implements, built in or third party.

A `Detector` scans text and returns `Finding`s: character offsets into the scanned text and a typed `kind`,
so a caller can block, flag or redact (`redaction.py`) without the detector knowing the policy. A finding
never carries the matched value: whoever holds the text slices it, so records can name the rule and never
the secret.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "AsyncDetector",
    "Detector",
    "DetectorFactory",
    "DetectorOptionError",
    "Finding",
    "JudgeClient",
    "ScanContext",
    "UnknownDetector",
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One hit: which detector and rule, the placeholder kind for redaction, where (end exclusive), how sure."""

    detector: str  # registry name, e.g. "pii", "secrets", "injection", "terms", "output"
    rule: str  # e.g. "pii.email", "pii.card", "secrets.aws_access_key", "injection.ignore_previous"
    kind: str  # typed placeholder kind for redaction, e.g. "EMAIL", "CARD", "AWS_KEY"
    start: int  # character offsets in the scanned text (end exclusive)
    end: int
    score: float  # 0..1 (1.0 for checksum-verified structured matches)
    action: str | None = None  # the detector's own action, overriding the rule's (a failed judge: flag)


class Detector(Protocol):
    """Scans one text; pure, CPU only, bounded time on bounded input, safe to share between threads."""

    name: str
    version: str

    def scan(self, text: str) -> Sequence[Finding]: ...


class JudgeClient(Protocol):
    """The door an async detector asks a model through: one chat completion, its answer's text.

    The gateway's implementation (`guardrails/judging.py`) calls the served model's provider in process;
    it raises on any failure (unknown model, upstream error, timeout), which the detector turns into a hit."""

    async def complete(
        self, model: str, messages: list[dict[str, str]], response_format: dict[str, Any], timeout_s: float
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What an async detector may use besides the text: the judge door (None outside a gateway)."""

    judge: JudgeClient | None = None


@runtime_checkable
class AsyncDetector(Detector, Protocol):
    """A detector that needs I/O (a judge model): `ascan` is awaited where the caller can wait (the input
    filter, JSON answers); `scan` is what sync callers (streams, `scan_all`) get, usually nothing."""

    async def ascan(self, text: str, ctx: ScanContext) -> Sequence[Finding]: ...


DetectorFactory = Callable[..., Detector]
"""Builds a configured detector from keyword options (`detector("terms", terms=["acme"])`)."""


class UnknownDetector(LookupError):
    """No registered detector has this name."""


class DetectorOptionError(ValueError):
    """A detector was given an option it does not take, or a value it cannot use."""
