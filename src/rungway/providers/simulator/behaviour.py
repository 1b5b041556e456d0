"""How the simulator misbehaves on purpose: latency, speed, errors and outage windows."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rungway.settings.config import ProviderConfig


@dataclass(frozen=True, slots=True)
class OutageWindow:
    """The simulator is down from `start` to `end` (epoch seconds), or for `duration_s` every `every_s`."""

    start: float | None = None
    end: float | None = None
    every_s: float | None = None
    duration_s: float | None = None

    def active(self, now: float) -> bool:
        if self.every_s and self.duration_s:
            return (now % self.every_s) < self.duration_s
        return self.start is not None and self.end is not None and self.start <= now < self.end


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Latency distribution (log-normal from median and p95), speed, error rate and outages."""

    latency_median_ms: float = 0.0
    latency_p95_ms: float = 0.0
    tokens_per_second: float = 0.0
    error_rate: float = 0.0
    outages: tuple[OutageWindow, ...] = ()
    reply_words: tuple[int, int] = (12, 40)
    embedding_dimensions: int = 1536
    seed: int = 0
    # A deliberately gullible model for red-team tests (all off by default; phrases match case-insensitively):
    # a last user message with a `leak_on` phrase is answered with every message's text (system prompt included),
    # unless a system message has a `leak_guard` phrase; one with a `refuse_on` phrase is refused.
    leak_on: tuple[str, ...] = ()
    leak_guard: tuple[str, ...] = ()
    refuse_on: tuple[str, ...] = ()
    # A deterministic judge for guardrail tests: a json_schema request whose schema has a `score` property is
    # answered `{"score": 1.0, ...}` when the last user message has a `judge_on` phrase, else `{"score": 0.0, ...}`.
    judge_on: tuple[str, ...] = ()

    def latency_s(self, rng: random.Random) -> float:
        if self.latency_median_ms <= 0:
            return 0.0
        if self.latency_p95_ms <= self.latency_median_ms:
            return self.latency_median_ms / 1000
        sigma = math.log(self.latency_p95_ms / self.latency_median_ms) / 1.6449
        return rng.lognormvariate(math.log(self.latency_median_ms), sigma) / 1000

    def in_outage(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return any(w.active(now) for w in self.outages)


def parse_behaviour(config: ProviderConfig) -> Behaviour:
    """Validate the simulator's options with errors that name the key path."""
    opts = config.options
    known = {
        "latency_ms",
        "tokens_per_second",
        "error_rate",
        "outages",
        "reply_words",
        "embedding_dimensions",
        "seed",
        "account",
        "leak_on",
        "leak_guard",
        "refuse_on",
        "judge_on",
    }
    for key in opts:
        if key not in known:
            raise config.unknown_option(key, known)
    median, p95 = _latency(config, opts.get("latency_ms", 0))
    error_rate = _number(config, opts, "error_rate", 0.0)
    if not 0 <= error_rate <= 1:
        raise config.error("error_rate", f"{error_rate} is not a fraction", "write a number from 0 to 1, e.g. 0.02")
    words = opts.get("reply_words", [12, 40])
    if not (isinstance(words, list) and len(words) == 2 and all(isinstance(w, int) and w > 0 for w in words)):
        raise config.error("reply_words", f"expected [min, max], got {words!r}", "write e.g. [12, 40]")
    return Behaviour(
        latency_median_ms=median,
        latency_p95_ms=p95,
        tokens_per_second=_number(config, opts, "tokens_per_second", 0.0),
        error_rate=error_rate,
        outages=tuple(_outage(config, i, w) for i, w in enumerate(opts.get("outages") or [])),
        reply_words=(words[0], words[1]),
        embedding_dimensions=int(_number(config, opts, "embedding_dimensions", 1536)),
        seed=int(_number(config, opts, "seed", 0)),
        leak_on=_phrases(config, opts, "leak_on"),
        leak_guard=_phrases(config, opts, "leak_guard"),
        refuse_on=_phrases(config, opts, "refuse_on"),
        judge_on=_phrases(config, opts, "judge_on"),
    )


def _phrases(config: ProviderConfig, opts: dict[str, Any], key: str) -> tuple[str, ...]:
    raw = opts.get(key) or []
    if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
        raise config.error(key, f"expected a list of phrases, got {raw!r}", f"write e.g. {key}: [system prompt]")
    return tuple(p.casefold() for p in raw)


def _latency(config: ProviderConfig, raw: Any) -> tuple[float, float]:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw >= 0:
        return float(raw), float(raw)
    if isinstance(raw, dict) and isinstance(raw.get("median"), int | float):
        median = float(raw["median"])
        return median, float(raw.get("p95", median))
    raise config.error(
        "latency_ms",
        f"expected a number or {{median, p95}}, got {raw!r}",
        "write `latency_ms: 200` or `latency_ms: {median: 200, p95: 800}`",
    )


def _number(config: ProviderConfig, opts: dict[str, Any], key: str, default: float) -> float:
    value = opts.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise config.error(key, f"expected a number >= 0, got {value!r}", f"write e.g. {default}")
    return float(value)


def _outage(config: ProviderConfig, index: int, raw: Any) -> OutageWindow:
    key = f"outages[{index}]"
    if not isinstance(raw, dict):
        raise config.error(key, "expected a mapping", "write {start: ..., end: ...} or {every_s: 600, duration_s: 60}")
    if "every_s" in raw:
        return OutageWindow(every_s=float(raw["every_s"]), duration_s=float(raw.get("duration_s", 0)))
    try:
        return OutageWindow(start=_when(raw["start"]), end=_when(raw["end"]))
    except (KeyError, ValueError, TypeError):
        raise config.error(
            key,
            "needs `start` and `end` (ISO 8601 or epoch seconds)",
            "write {start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:05:00Z'}",
        ) from None


def _when(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
