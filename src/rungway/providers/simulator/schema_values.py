"""Generate a JSON value valid against a JSON Schema (the subset structured outputs allow)."""

from __future__ import annotations

import random
from typing import Any

_MAX_DEPTH = 8


def value_for(schema: Any, rng: random.Random, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A value that validates against `schema`; `root` resolves local `$ref`s."""
    if not isinstance(schema, dict):
        return rng.choice(["value", 1, True])
    root = root if root is not None else schema
    if "$ref" in schema:
        return value_for(_resolve(schema["$ref"], root), rng, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")]
            return value_for((options or schema[key])[0], rng, root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = _resolve(part["$ref"], root) if isinstance(part, dict) and "$ref" in part else part
            for k, v in part.items():
                if k in ("properties",) and k in merged:
                    merged[k] = {**merged[k], **v}
                elif k == "required" and k in merged:
                    merged[k] = list(merged[k]) + list(v)
                else:
                    merged[k] = v
        return value_for(merged, rng, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = kinds[0]
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    return _BY_TYPE.get(kind, _string)(schema, rng, root, depth)


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    if not ref.startswith("#"):
        return {}
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if part:
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
    return node


def _object(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out: dict[str, Any] = {}
    for name, sub in props.items():
        if name in required or depth < 2:
            out[name] = value_for(sub, rng, root, depth + 1) if depth < _MAX_DEPTH else None
    return out


def _array(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    low = int(schema.get("minItems", 1 if depth < 3 else 0))
    high = int(schema.get("maxItems", max(low, 3)))
    count = rng.randint(low, max(low, min(high, low + 3))) if depth < _MAX_DEPTH else low
    items = schema.get("items") or {}
    if schema.get("prefixItems"):
        return [value_for(s, rng, root, depth + 1) for s in schema["prefixItems"]]
    return [value_for(items, rng, root, depth + 1) for _ in range(count)]


def _string(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    fmt = schema.get("format")
    samples = {
        "date-time": "2026-01-15T09:30:00Z",
        "date": "2026-01-15",
        "time": "09:30:00",
        "email": "user@example.com",
        "uri": "https://example.com/resource",
        "uuid": "8f14e45f-ceea-467f-a0f8-5f6b4b1b6a2d",
        "ipv4": "192.0.2.1",
        "hostname": "example.com",
    }
    text = samples.get(str(fmt)) or rng.choice(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"])
    low = int(schema.get("minLength", 0))
    high = schema.get("maxLength")
    while len(text) < low:
        text += "x"
    if high is not None:
        text = text[: int(high)]
    return text


def _number(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 100))
    value = (low + high) / 2
    if schema.get("type") == "integer":
        candidate = int(value)
        if "exclusiveMinimum" in schema and candidate <= schema["exclusiveMinimum"]:
            candidate = int(schema["exclusiveMinimum"]) + 1
        if "exclusiveMaximum" in schema and candidate >= schema["exclusiveMaximum"]:
            candidate = int(schema["exclusiveMaximum"]) - 1
        multiple = schema.get("multipleOf")
        if multiple:
            candidate = (candidate // int(multiple)) * int(multiple)
        return candidate
    return float(value)


def _boolean(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    return rng.random() < 0.5


def _null(schema: dict[str, Any], rng: random.Random, root: dict[str, Any], depth: int) -> Any:
    return None


_BY_TYPE = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}
