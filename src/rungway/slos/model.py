"""An SLO as a typed value, and the one place a raw SLO (a config entry, an API body, an OpenSLO document) is checked.

Three kinds of indicator, each a ratio of good events to valid events over a rolling window:

* `availability`: valid = the workload's calls except the caller's own mistakes (every 4xx answer: a bad
  request, a refused key, a rate limit or budget the caller ran into, an upstream's 4xx about the request);
  bad = every 5xx (the gateway failed, 500; the provider failed or timed out, 502/504; no healthy
  deployment or a full queue, 503). good = valid - bad.
* `latency`: valid = the calls answered successfully (status < 400); good = those whose total duration
  (`measure: total`, `requests.latency_ms`) or time to first token (`measure: ttft`, streamed calls only) is
  at most `threshold_ms`. A failed call counts against availability, not latency.
* `quality`: valid = the evals capability's score records with source `online` (of `score` when named);
  good = those passing: a boolean true, or a numeric value at least `pass_threshold`.

`check_slo` raises `SloInvalid` naming the field, the problem and the fix; the config parser and the API turn
that into their own error shapes. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

__all__ = [
    "KINDS",
    "MEASURES",
    "NAME_PATTERN",
    "WINDOW_DAYS",
    "Kind",
    "Measure",
    "Slo",
    "SloInvalid",
    "check_slo",
]

Kind = Literal["availability", "latency", "quality"]
Measure = Literal["total", "ttft"]
KINDS: tuple[Kind, ...] = ("availability", "latency", "quality")
MEASURES: tuple[Measure, ...] = ("total", "ttft")
WINDOW_DAYS = (7, 28, 30)
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:/@+-]{0,127}$")
MAX_DESCRIPTION = 500
MIN_OBJECTIVE = 0.5
MAX_OBJECTIVE = 0.99999


class SloInvalid(ValueError):
    """A field of an SLO is wrong: which (`field`), why, and how to fix it."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}. Fix: {fix}")
        self.field = field
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True, slots=True)
class Slo:
    """One objective of one workload: which calls (or scores) count, what is good, how much, over how long."""

    workload: str
    name: str
    kind: Kind
    objective: float  # the target share of good events, e.g. 0.995
    window_days: int = 30
    model: str | None = None  # only calls that asked for this model (`requests.model_requested`)
    route: str | None = None  # only calls routed by this rule (`requests.route_rule`)
    threshold_ms: float | None = None  # latency: good at or under this
    measure: Measure = "total"  # latency: total duration or time to first token
    score: str | None = None  # quality: only online scores of this name
    pass_threshold: float = 0.5  # quality: a numeric score passes at or above this
    description: str = ""

    @property
    def error_budget(self) -> float:
        """The share of events allowed to be bad over the window."""
        return 1.0 - self.objective

    @property
    def scope(self) -> str:
        """Which traffic the SLO covers, in words."""
        parts = [f"model {self.model}"] if self.model else []
        parts += [f"route {self.route}"] if self.route else []
        return ", ".join(parts) or "all calls"

    def spec(self) -> dict[str, Any]:
        """The fields `check_slo` reads back into this SLO (its kind's own, none unset), without workload and name."""
        drop = {"workload", "name"}
        drop |= set() if self.kind == "latency" else {"threshold_ms", "measure"}
        drop |= set() if self.kind == "quality" else {"score", "pass_threshold"}
        return {k: v for k, v in self.to_json().items() if k not in drop and v is not None}

    def to_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload, "name": self.name, "kind": self.kind, "objective": self.objective,
            "window_days": self.window_days, "model": self.model, "route": self.route,
            "threshold_ms": self.threshold_ms, "measure": self.measure, "score": self.score,
            "pass_threshold": self.pass_threshold, "description": self.description,
        }  # fmt: skip


def _text(raw: Mapping[str, Any], field: str, pattern: re.Pattern[str], example: str) -> str | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise SloInvalid(field, f"expected a name of up to 128 letters, digits and ._:/@+-, got {value!r}",
                         f"write e.g. {example}")  # fmt: skip
    return value


def _number(raw: Mapping[str, Any], field: str, low: float, high: float, default: float | None, fix: str) -> float:
    value = raw.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SloInvalid(field, f"expected a number from {low:g} to {high:g}, got {value!r}", fix)
    return float(value)


def _objective(raw: Mapping[str, Any]) -> float:
    value = raw.get("objective")
    if isinstance(value, int | float) and not isinstance(value, bool) and 50 <= value < 100:
        value = value / 100.0  # 99.5 means 99.5%
    if isinstance(value, bool) or not isinstance(value, int | float) or not MIN_OBJECTIVE <= value <= MAX_OBJECTIVE:
        raise SloInvalid("objective", f"expected a share from 0.5 to 0.99999 (or a percentage), got {value!r}",
                         "write e.g. 0.995 or 99.5")  # fmt: skip
    return round(float(value), 6)


def _window(raw: Mapping[str, Any]) -> int:
    value = raw.get("window", raw.get("window_days", 30))
    if isinstance(value, str) and value.endswith("d") and value[:-1].isdigit():
        value = int(value[:-1])
    if isinstance(value, bool) or value not in WINDOW_DAYS:
        raise SloInvalid("window", f"expected 7d, 28d or 30d, got {value!r}", "write e.g. 30d")
    return int(value)


def check_slo(workload: str, name: str, raw: Mapping[str, Any]) -> Slo:
    """The SLO `raw` describes (the keys of a `slos:` entry or an API body), checked field by field."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise SloInvalid("name", f"expected lower-case letters, digits and ._- (up to 64), got {name!r}",
                         "write e.g. chat-availability")  # fmt: skip
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SloInvalid("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}", "write e.g. kind: availability")
    description = raw.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise SloInvalid("description", f"expected text of up to {MAX_DESCRIPTION} characters", "shorten it")
    threshold: float | None = None
    measure = raw.get("measure", "total")
    if kind == "latency":
        threshold = _number(raw, "threshold_ms", 1, 600_000, None, "write e.g. threshold_ms: 2000")
        if measure not in MEASURES:
            raise SloInvalid("measure", f"expected total or ttft, got {measure!r}", "write e.g. measure: ttft")
    else:
        for field in ("threshold_ms", "measure"):
            if raw.get(field) is not None:
                raise SloInvalid(field, f"only a latency SLO has {field}", f"remove {field} or write kind: latency")
        measure = "total"
    if kind != "quality":
        for field in ("score", "pass_threshold"):
            if raw.get(field) is not None:
                raise SloInvalid(field, f"only a quality SLO has {field}", f"remove {field} or write kind: quality")
    elif raw.get("model") is not None or raw.get("route") is not None:
        raise SloInvalid("model", "a quality SLO covers the workload's online scores, not a model or route",
                         "remove model and route")  # fmt: skip
    return Slo(
        workload=workload,
        name=name,
        kind=cast(Kind, kind),
        objective=_objective(raw),
        window_days=_window(raw),
        model=_text(raw, "model", _LABEL, "gpt-4o-mini"),
        route=_text(raw, "route", _LABEL, "premium"),
        threshold_ms=threshold,
        measure=cast(Measure, measure),
        score=_text(raw, "score", _LABEL, "helpfulness"),
        pass_threshold=_number(raw, "pass_threshold", -1e12, 1e12, 0.5, "write e.g. pass_threshold: 0.7"),
        description=description,
    )
