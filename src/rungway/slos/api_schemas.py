"""The JSON schemas of `/api/slos/*` bodies and answers (checked before a handler runs, published in OpenAPI)."""

from __future__ import annotations

from typing import Any

from rungway.api.bodies import nullable, text
from rungway.slos.model import KINDS, MAX_DESCRIPTION, MEASURES, NAME_PATTERN

__all__ = ["ALERT", "HISTORY", "IMPORT_BODY", "MAX_IMPORT", "SLO", "SLO_BODY", "SLO_NAME"]

MAX_IMPORT = 100
SLO_NAME: dict[str, Any] = {"type": "string", "pattern": NAME_PATTERN, "maxLength": 64}
_WORKLOAD = nullable(text(64, "the workload (an admin names it; others write to their own)", min_length=1))
_LABEL = nullable(text(128, min_length=1))
_NUMBER = {"type": ["number", "null"]}
SLO_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "kind", "objective"],
    "additionalProperties": False,
    "properties": {
        "workload": _WORKLOAD,
        "name": SLO_NAME,
        "kind": {"type": "string", "enum": list(KINDS)},
        "objective": {"type": "number", "minimum": 0.5, "maximum": 99.999,
                      "description": "the target share of good events (0.995) or a percentage (99.5)"},
        "window": {"type": "string", "enum": ["7d", "28d", "30d"], "default": "30d"},
        "model": _LABEL,
        "route": _LABEL,
        "threshold_ms": {"type": ["number", "null"], "minimum": 1, "maximum": 600000},
        "measure": nullable({"type": "string", "enum": list(MEASURES)}),
        "score": _LABEL,
        "pass_threshold": {"type": ["number", "null"], "minimum": -1e12, "maximum": 1e12},
        "description": nullable(text(MAX_DESCRIPTION)),
    },
}  # fmt: skip
_STATUS = {
    "type": "object",
    "properties": {
        "at": {"type": "number"}, "good": {"type": "integer"}, "total": {"type": "integer"}, "sli": _NUMBER,
        "error_budget_remaining": _NUMBER, "burn_rates": {"type": "object", "additionalProperties": {"type": "number"}},
        "firing": {"type": "array", "items": {"type": "string"}},
    },
}  # fmt: skip
SLO: dict[str, Any] = {
    "type": "object",
    "properties": {
        "workload": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "objective": {"type": "number"}, "window_days": {"type": "integer"}, "model": {"type": ["string", "null"]},
        "route": {"type": ["string", "null"]}, "threshold_ms": _NUMBER, "measure": {"type": "string"},
        "score": {"type": ["string", "null"]}, "pass_threshold": {"type": "number"},
        "description": {"type": "string"}, "source": {"type": "string"}, "created_at": {"type": "number"},
        "created_by": {"type": ["string", "null"]}, "status": _STATUS, "measured": {"type": "boolean"},
    },
}  # fmt: skip
HISTORY: dict[str, Any] = {
    "type": "object",
    "properties": {"slo": SLO, "data": {"type": "array", "items": _STATUS}},
}
ALERT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "workload": {"type": "string"}, "slo": {"type": "string"},
        "tier": {"type": "string"}, "episode": {"type": "integer"}, "state": {"type": "string"},
        "at": {"type": "number"}, "burn_long": {"type": "number"}, "burn_short": {"type": "number"},
    },
}  # fmt: skip
IMPORT_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["documents"],
    "additionalProperties": False,
    "properties": {
        "workload": _WORKLOAD,
        "documents": {"type": "array", "minItems": 1, "maxItems": MAX_IMPORT,
                      "items": {"type": "object", "description": "an OpenSLO v1 SLO document"}},
    },
}  # fmt: skip
