"""The JSON schemas of `/api/redteam/*` bodies and answers (checked before a handler runs, published in OpenAPI)."""

from __future__ import annotations

from typing import Any

from rungway.api.bodies import nullable, text
from rungway.redteam.model import MAX_TRANSCRIPT_MESSAGES, MAX_TURN_CHARS, TRIAGE_STATUSES

__all__ = ["ALERT", "DIFF", "RUN", "RUN_BODY", "RUN_DETAIL", "SCHEDULE", "SCHEDULE_BODY", "TRIAGE", "TRIAGE_BODY"]

MAX_RESULTS = 2000
_ID = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,79}$"}
_CATEGORY = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]{0,63}$"}
_TIME = {"type": "number", "minimum": 0, "maximum": 253402387199}
_MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "additionalProperties": False,
    "properties": {"role": {"type": "string", "enum": ["user", "assistant", "system"]},
                   "content": text(MAX_TURN_CHARS + 8, multiline=True)},
}  # fmt: skip
RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["attack_id", "category", "goal", "succeeded"],
    "additionalProperties": False,
    "properties": {
        "attack_id": _ID,
        "category": _CATEGORY,
        "strategy": nullable(text(32)),
        "goal": {"type": "string", "enum": ["marker", "canary", "pii", "secret", "comply"]},
        "succeeded": {"type": "boolean"},
        "grader": text(16),
        "reason": text(500),
        "transcript": {"type": "array", "maxItems": MAX_TRANSCRIPT_MESSAGES, "items": _MESSAGE},
        "error": nullable(text(500, multiline=True)),
        "judge_reason": nullable(text(500, multiline=True)),
    },
}
RUN_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["corpus_version", "started_at", "finished_at", "results"],
    "additionalProperties": False,
    "properties": {
        "workload": nullable(text(64, min_length=1)),
        "corpus_version": text(32, min_length=1),
        "categories": {"type": "array", "maxItems": 32, "items": _CATEGORY},
        "prompt": nullable(text(200, min_length=1)),
        "model": nullable(text(200, min_length=1)),
        "judge_model": nullable(text(200, min_length=1)),
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**62},
        "trigger": {"type": "string", "enum": ["cli", "api"]},
        "started_at": _TIME,
        "finished_at": _TIME,
        "results": {"type": "array", "maxItems": MAX_RESULTS, "items": RESULT},
    },
}
_RATE = {"type": "object", "properties": {"attacks": {"type": "integer"}, "succeeded": {"type": "integer"},
                                          "errors": {"type": "integer"}, "rate": {"type": "number"}}}  # fmt: skip
RUN: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "workload": {"type": "string"}, "corpus_version": {"type": "string"},
        "categories": {"type": "array", "items": {"type": "string"}}, "prompt": {"type": ["string", "null"]},
        "model": {"type": ["string", "null"]}, "judge_model": {"type": ["string", "null"]},
        "seed": {"type": "integer"}, "trigger": {"type": "string"}, "started_at": {"type": "number"},
        "finished_at": {"type": "number"}, "attacks": {"type": "integer"}, "succeeded": {"type": "integer"},
        "errors": {"type": "integer"}, "rate": {"type": "number"},
        "rates": {"type": "object", "additionalProperties": _RATE},
        "previous_run_id": {"type": ["string", "null"]}, "created_by": {"type": ["string", "null"]},
    },
}  # fmt: skip
_IDS = {"type": "array", "items": {"type": "string"}}
DIFF: dict[str, Any] = {
    "type": "object",
    "properties": {"run_id": {"type": "string"}, "previous_run_id": {"type": ["string", "null"]},
                   "new_failures": _IDS, "fixed": _IDS, "unchanged": _IDS, "categories": {"type": "object"}},
}  # fmt: skip
TRIAGE: dict[str, Any] = {
    "type": "object",
    "properties": {"run_id": {"type": "string"}, "attack_id": {"type": "string"}, "workload": {"type": "string"},
                   "status": {"type": "string"}, "note": {"type": "string"}, "triaged_at": {"type": "number"},
                   "triaged_by": {"type": ["string", "null"]}},
}  # fmt: skip
TRIAGE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "additionalProperties": False,
    "properties": {"status": {"type": "string", "enum": list(TRIAGE_STATUSES)}, "note": text(2000, multiline=True)},
}
ALERT: dict[str, Any] = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "workload": {"type": "string"}, "run_id": {"type": "string"},
                   "kind": {"type": "string"}, "message": {"type": "string"}, "created_at": {"type": "number"}},
}  # fmt: skip
RUN_DETAIL: dict[str, Any] = {
    "type": "object",
    "properties": {"run": RUN, "diff": DIFF, "alerts": {"type": "array", "items": ALERT},
                   "results": {"type": "array", "items": {"type": "object"}}, "triage": {"type": "object"}},
}  # fmt: skip
SCHEDULE: dict[str, Any] = {
    "type": "object",
    "properties": {"workload": {"type": "string"}, "every_s": {"type": "number"}, "categories": _IDS,
                   "prompt": {"type": ["string", "null"]}, "model": {"type": ["string", "null"]},
                   "source": {"type": "string"}, "created_at": {"type": ["number", "null"]},
                   "created_by": {"type": ["string", "null"]}, "last_run_at": {"type": ["number", "null"]}},
}  # fmt: skip
SCHEDULE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["every"],
    "additionalProperties": False,
    "properties": {
        "workload": nullable(text(64, min_length=1)),
        "every": {"type": "string", "pattern": r"^[0-9]{1,4}[mhdw]$"},
        "categories": {"type": "array", "maxItems": 32, "items": _CATEGORY},
        "prompt": nullable(text(200, min_length=1)),
        "model": nullable(text(200, min_length=1)),
    },
}
