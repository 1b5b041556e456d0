"""A score as a typed value, and the one place a raw score (an API body item) is checked.

`score_from_body` checks every field against its bound and the rules between them (a score names a trace
or a run's case; a boolean is true/false or 0/1; a categorical score has a string value; eval and online
scores name their scorer) and raises `InvalidRequest` naming the item and the field. Nothing here does I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from rungway.errors import InvalidRequest

__all__ = [
    "DATA_TYPES",
    "ID_PATTERN",
    "MAX_BATCH",
    "MAX_COMMENT_CHARS",
    "MAX_NAME_CHARS",
    "SOURCES",
    "DataType",
    "Score",
    "ScoreSource",
    "score_from_body",
]

DataType = Literal["numeric", "boolean", "categorical"]
ScoreSource = Literal["eval", "annotation", "feedback", "online"]
DATA_TYPES: tuple[DataType, ...] = ("numeric", "boolean", "categorical")
SOURCES: tuple[ScoreSource, ...] = ("eval", "annotation", "feedback", "online")
MAX_BATCH = 1_000
MAX_NAME_CHARS = 128
MAX_STRING_VALUE_CHARS = 256
MAX_COMMENT_CHARS = 4_000
MAX_ABS_VALUE = 1e12
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,127}$"
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class Score:
    """One judgement: of a trace (or one of its spans) or of an eval run's case, by a scorer or a person."""

    id: str
    workload: str
    name: str
    data_type: DataType
    value: float | None
    string_value: str | None
    source: ScoreSource
    author: str
    created_at: float
    trace_id: str | None = None
    span_id: str | None = None
    run_id: str | None = None
    case_key: str | None = None
    comment: str | None = None
    scorer: str | None = None
    scorer_version: str | None = None
    author_key_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workload": self.workload,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "run_id": self.run_id,
            "case_key": self.case_key,
            "name": self.name,
            "data_type": self.data_type,
            "value": self.value,
            "string_value": self.string_value,
            "comment": self.comment,
            "source": self.source,
            "scorer": self.scorer,
            "scorer_version": self.scorer_version,
            "author": self.author,
            "created_at": self.created_at,
        }


def _fail(where: str, field: str, problem: str) -> InvalidRequest:
    return InvalidRequest(f"{where}{field}: {problem}", param=f"{where}{field}")


def _value(raw: Mapping[str, Any], data_type: str | None, where: str) -> tuple[DataType, float | None, str | None]:
    value, string_value = raw.get("value"), raw.get("string_value")
    if data_type is None:  # from the value's JSON type
        data_type = "boolean" if isinstance(value, bool) else "categorical" if isinstance(value, str) else "numeric"
    if isinstance(value, str) and data_type == "categorical":
        value, string_value = None, value if string_value is None else string_value
    if data_type == "categorical":
        if not isinstance(string_value, str) or not string_value:
            raise _fail(where, "string_value", 'a categorical score needs its category, e.g. "helpful"')
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _fail(where, "value", "a categorical score's value is a number or absent")
    elif data_type == "boolean":
        if isinstance(value, bool):
            value = 1.0 if value else 0.0
        if value not in (0, 1):
            raise _fail(where, "value", "a boolean score is true or false (or 1 or 0)")
    elif value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, "value", "a numeric score needs a number")
    if value is not None and not (math.isfinite(float(value)) and abs(float(value)) <= MAX_ABS_VALUE):
        raise _fail(where, "value", f"must be a finite number within ±{MAX_ABS_VALUE:g}")
    if string_value is not None and data_type != "categorical":
        raise _fail(where, "string_value", "only a categorical score has a string value")
    return cast(DataType, data_type), None if value is None else float(value), string_value


def _target(raw: Mapping[str, Any], where: str) -> tuple[str | None, str | None, str | None, str | None]:
    trace_id, span_id = raw.get("trace_id"), raw.get("span_id")
    run_id, case_key = raw.get("run_id"), raw.get("case_key")
    if trace_id is not None:
        trace_id = str(trace_id).lower()
        if _TRACE_ID.fullmatch(trace_id) is None:
            raise _fail(where, "trace_id", "a trace id is 32 hex digits")
    if span_id is not None:
        span_id = str(span_id).lower()
        if _SPAN_ID.fullmatch(span_id) is None or trace_id is None:
            raise _fail(where, "span_id", "a span id is 16 hex digits, given with its trace_id")
    if (run_id is None) != (case_key is None):
        raise _fail(where, "run_id" if run_id is None else "case_key", "run_id and case_key go together")
    if trace_id is None and run_id is None:
        raise _fail(where, "trace_id", "a score names what it judges: trace_id, or run_id with case_key")
    return trace_id, span_id, run_id, case_key


def score_from_body(raw: Mapping[str, Any], *, where: str, score_id: str, workload: str, author: str,
                    author_key_id: str | None, now: float) -> Score:  # fmt: skip
    """A checked `Score` from one API item (its shape already checked by the route's JSON schema)."""
    trace_id, span_id, run_id, case_key = _target(raw, where)
    data_type, value, string_value = _value(raw, raw.get("data_type"), where)
    source = raw.get("source") or "feedback"
    scorer = raw.get("scorer")
    if source in ("eval", "online") and not scorer:
        raise _fail(where, "scorer", f'a score from {source} names its scorer, e.g. "llm-rubric"')
    return Score(
        id=score_id,
        workload=workload,
        name=str(raw["name"]),
        data_type=data_type,
        value=value,
        string_value=string_value,
        source=cast(ScoreSource, source),
        author=author,
        created_at=now,
        trace_id=trace_id,
        span_id=span_id,
        run_id=run_id,
        case_key=case_key,
        comment=raw.get("comment"),
        scorer=scorer,
        scorer_version=raw.get("scorer_version"),
        author_key_id=author_key_id,
    )
