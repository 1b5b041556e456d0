"""The JSON schemas of `/api/prompts`: request bodies (checked before a handler runs) and answers.

They say what the handlers accept, as closely as JSON schema can: the prompt and label name
patterns, message roles, variable types and every request parameter's range. What a schema cannot
say (a template may use only `{{name}}` placeholders; a default must have its variable's type)
is checked by `PromptContent.from_json`, which answers 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from rungway.api.bodies import nullable, text
from rungway.prompts.service import MAX_COMMENT_CHARS, MAX_MESSAGE_CHARS, MAX_REASON_CHARS
from rungway.prompts.template import (
    LABEL_PATTERN,
    MAX_MESSAGES,
    MAX_TEMPLATE_CHARS,
    MAX_VARIABLES,
    NAME_PATTERN,
    ROLES,
    VARIABLE_NAME,
    VARIABLE_TYPES,
)

__all__ = [
    "CREATE_BODY",
    "DIFF",
    "LABEL_BODY",
    "MAX_VERSION",
    "MOVE",
    "REVIEW",
    "REVIEW_BODY",
    "SUMMARY",
    "VERSION",
    "listing",
]

MAX_VERSION = 2**31 - 1
PROMPT_NAME = {"type": "string", "pattern": f"^{NAME_PATTERN.pattern}$"}
LABEL_NAME = {"type": "string", "pattern": f"^{LABEL_PATTERN.pattern}$"}
_WORKLOAD = nullable(text(64, "the workload the prompt belongs to (an admin key names it; others use their own)"))
_NO_NUL = "^[^\\x00]*$"
_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_NOT_BLANK = f"^[^{_CONTROL}]*[^{_CONTROL}\\s][^{_CONTROL}]*$"  # printable lines with something on them


def _said(max_length: int, description: str) -> dict[str, Any]:
    """Multi-line text that is not blank: a reason or a review comment."""
    return {**text(max_length, description, multiline=True, min_length=1), "pattern": _NOT_BLANK}


def _range(low: float, high: float, kind: str = "number") -> dict[str, Any]:
    return {"type": [kind, "null"], "minimum": low, "maximum": high}


_MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["role", "content"],
    "additionalProperties": False,
    "properties": {
        "role": {"type": "string", "enum": list(ROLES)},
        "content": {"type": "string", "maxLength": MAX_TEMPLATE_CHARS, "pattern": _NO_NUL},
        "name": nullable(text(64, min_length=1)),
    },
}
_VARIABLE: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": f"^{VARIABLE_NAME.pattern}$"},
        "type": {"type": "string", "enum": list(VARIABLE_TYPES), "default": "string"},
        "required": {"type": "boolean"},
        "default": {"description": "a value of the variable's type; makes it optional unless `required` says so"},
        "description": {"type": "string", "maxLength": 1000},
    },
}
_PARAMETERS: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "description": "the request parameters the version was written for; a call that sets one itself wins",
    "properties": {
        "temperature": _range(0, 2),
        "top_p": _range(0, 1),
        "presence_penalty": _range(-2, 2),
        "frequency_penalty": _range(-2, 2),
        "max_tokens": _range(1, MAX_VERSION, "integer"),
        "max_completion_tokens": _range(1, MAX_VERSION, "integer"),
        "seed": _range(-(2**63), 2**63 - 1, "integer"),
        "stop": {
            "type": ["string", "array", "null"],
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": 4,
        },
        "reasoning_effort": {"type": ["string", "null"], "enum": ["minimal", "low", "medium", "high", None]},
        "response_format": {
            "type": ["object", "null"],
            "required": ["type"],
            "properties": {"type": {"type": "string"}},
        },
        "tools": {"type": ["array", "null"], "items": {"type": "object"}, "maxItems": 128},
        "tool_choice": {"type": ["string", "object", "null"]},
    },
}

CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "messages"],
    "additionalProperties": False,
    "properties": {
        "name": PROMPT_NAME,
        "workload": _WORKLOAD,
        "shared": {"type": "boolean", "default": False, "description": "a shared prompt (admin keys only)"},
        "messages": {"type": "array", "items": _MESSAGE, "minItems": 1, "maxItems": MAX_MESSAGES},
        "variables": {"type": ["array", "null"], "items": _VARIABLE, "maxItems": MAX_VARIABLES},
        "model": nullable(text(128, min_length=1)),
        "parameters": _PARAMETERS,
        "message": text(MAX_MESSAGE_CHARS, "the commit message: what changed and why", multiline=True),
    },
}
LABEL_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["version", "reason"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
        "reason": _said(MAX_REASON_CHARS, "why the label moves"),
    },
}
REVIEW_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["decision", "comment"],
    "additionalProperties": False,
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]},
        "comment": _said(MAX_COMMENT_CHARS, "what the reviewer saw"),
    },
}

_WHEN = {"type": "string", "description": "ISO 8601, UTC"}
_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_STR = {"type": ["string", "null"]}
VERSION: dict[str, Any] = {
    "type": "object",
    "description": "A prompt version: immutable content, who wrote it, and the labels that point at it",
    "required": ["name", "workload", "version", "hash", "message", "author", "created_at", "labels", "content"],
    "properties": {
        "name": {"type": "string"},
        "workload": _NULLABLE_STR,
        "shared": {"type": "boolean"},
        "version": {"type": "integer"},
        "hash": {"type": "string"},
        "message": {"type": "string"},
        "author": {"type": "string"},
        "author_key_id": _NULLABLE_STR,
        "created_at": _WHEN,
        "labels": {"type": "array", "items": {"type": "string"}},
        "created": {"type": "boolean", "description": "on create: false when the same content was a version already"},
        "content": {
            "type": "object",
            "properties": {
                "messages": {"type": "array"},
                "variables": {"type": "array"},
                "model": _NULLABLE_STR,
                "parameters": {"type": "object"},
            },
        },
    },
}
SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "workload": _NULLABLE_STR,
        "shared": {"type": "boolean"},
        "latest_version": {"type": "integer"},
        "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
        "updated_at": _WHEN,
    },
}
MOVE: dict[str, Any] = {
    "type": "object",
    "description": "A label move: who, when, from, to, why, and the approvers it had",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "workload": _NULLABLE_STR,
        "label": {"type": "string"},
        "from_version": _NULLABLE_INT,
        "to_version": {"type": "integer"},
        "reason": {"type": "string"},
        "actor": {"type": "string"},
        "actor_key_id": _NULLABLE_STR,
        "moved_at": _WHEN,
        "protected": {"type": "boolean"},
        "approvers": {"type": "array", "items": {"type": "string"}},
    },
}
REVIEW: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "workload": _NULLABLE_STR,
        "version": {"type": "integer"},
        "decision": {"type": "string", "enum": ["approve", "reject"]},
        "comment": {"type": "string"},
        "reviewer": {"type": "string"},
        "reviewer_key_id": _NULLABLE_STR,
        "created_at": _WHEN,
    },
}
DIFF: dict[str, Any] = {
    "type": "object",
    "description": "What changed between two versions: unified diffs of message text, variables, model, parameters",
    "properties": {
        "from": {"type": "string"},
        "to": {"type": "string"},
        "identical": {"type": "boolean"},
        "messages": {"type": "array"},
        "variables": {"type": "object"},
        "model": {"type": ["object", "null"]},
        "parameters": {"type": "array"},
    },
}


def listing(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": item}}}
