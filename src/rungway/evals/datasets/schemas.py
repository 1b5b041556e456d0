"""The JSON shapes of /api/datasets: the create body the server checks and the answers OpenAPI documents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rungway.api.bodies import nullable, text
from rungway.evals.datasets import model
from rungway.evals.datasets.model import DatasetVersion

__all__ = ["CASE", "CREATE_BODY", "SUMMARY", "VERSION", "iso", "listing", "version_json"]

_ASSERTION: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": text(200, min_length=1)},
    "description": "an assertion spec, e.g. {type: icontains, value: refund} (docs/evals.md)",
}
_ASSERTIONS: dict[str, Any] = {"type": "array", "maxItems": model.MAX_ASSERTIONS, "items": _ASSERTION}

CASE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "key": text(
            model.MAX_KEY_CHARS, "stable within the dataset; derived from the content when absent", min_length=1
        ),
        "vars": {"type": "object", "maxProperties": model.MAX_VARS, "description": "input variables for a prompt"},
        "messages": {
            "type": "array",
            "minItems": 1,
            "maxItems": model.MAX_MESSAGES,
            "items": {"type": "object", "required": ["role"]},
            "description": "a whole chat input",
        },
        "expected": {
            "type": ["string", "number", "object", "array", "null"],
            "maxLength": model.MAX_EXPECTED_CHARS,
            "description": "the expected output or a reference answer",
        },
        "assert": _ASSERTIONS,
        "assertions": _ASSERTIONS,
        "metadata": {
            "type": "object",
            "maxProperties": model.MAX_METADATA,
            "additionalProperties": text(model.MAX_METADATA_VALUE_CHARS, multiline=True),
        },
        "tags": {"type": "array", "maxItems": model.MAX_TAGS, "items": text(model.MAX_TAG_CHARS, min_length=1)},
        "source_trace_id": nullable({"type": "string", "pattern": "^[0-9a-fA-F]{32}$"}),
        "description": text(model.MAX_METADATA_VALUE_CHARS, multiline=True),
    },
}

CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "cases"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^" + model.NAME_PATTERN.pattern + "$"},
        "workload": nullable(text(64, "the workload it belongs to (default: the key's)")),
        "shared": {"type": "boolean", "default": False, "description": "readable by every workload (admin keys)"},
        "cases": {"type": "array", "minItems": 1, "maxItems": model.MAX_CASES, "items": CASE},
        "defaultTest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "assert": _ASSERTIONS,
                "vars": {"type": "object", "maxProperties": model.MAX_VARS},
                "metadata": {"type": "object", "maxProperties": model.MAX_METADATA},
            },
            "description": "promptfoo's defaultTest: assertions every case gets, vars and metadata merged into each",
        },
        "default_assertions": _ASSERTIONS,
        "description": text(4000, "what this version changes", multiline=True),
        "source": text(1000, "where the cases came from, e.g. a file name"),
    },
}

SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "workload": {"type": ["string", "null"]},
        "shared": {"type": "boolean"},
        "latest_version": {"type": "integer"},
        "case_count": {"type": "integer"},
        "updated_at": {"type": "string"},
    },
}

VERSION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "workload": {"type": ["string", "null"]},
        "version": {"type": "integer"},
        "ref": {"type": "string", "description": "name@version"},
        "content_hash": {"type": "string"},
        "case_count": {"type": "integer"},
        "default_assertions": _ASSERTIONS,
        "description": {"type": "string"},
        "source": {"type": "string"},
        "author": {"type": "string"},
        "created_at": {"type": "string"},
        "created": {"type": "boolean", "description": "on create: false when the same content was stored before"},
    },
}


def listing(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": item}}}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def version_json(version: DatasetVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "workload": version.workload,
        "version": version.version,
        "ref": version.ref,
        "content_hash": version.content_hash,
        "case_count": version.case_count,
        "default_assertions": [dict(a) for a in version.default_assertions],
        "description": version.description,
        "source": version.source,
        "author": version.author,
        "created_at": iso(version.created_at),
    }
