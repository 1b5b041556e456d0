"""Values for structured outputs (`providers/simulator/schema_values.py`): each generated value is checked
against its schema by a real JSON Schema validator, for many seeds."""

from __future__ import annotations

import random
from typing import Any

import jsonschema_rs
import pytest

from rungway.providers.simulator.schema_values import value_for

SCHEMAS: dict[str, dict[str, Any]] = {
    "object": {
        "type": "object",
        "properties": {"name": {"type": "string", "minLength": 8, "maxLength": 10}, "age": {"type": "integer",
                       "minimum": 18, "maximum": 99}, "tags": {"type": "array", "items": {"type": "string"},
                       "minItems": 2, "maxItems": 2}},
        "required": ["name", "age", "tags"],
        "additionalProperties": False,
    },
    "formats": {"type": "object", "properties": {k: {"type": "string", "format": k} for k in (
        "date-time", "date", "email", "uri", "uuid", "ipv4")}, "required": ["date", "email"]},
    "enum-const": {"type": "object", "properties": {"unit": {"enum": ["c", "f"]}, "v": {"const": 2}},
                   "required": ["unit", "v"]},
    "nullable-anyof": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMinimum": 1, "maximum": 2}]},
    "integer-bounds": {"type": "integer", "exclusiveMinimum": 4, "exclusiveMaximum": 6},
    "ref": {"$defs": {"step": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}},
            "type": "object", "properties": {"steps": {"type": "array", "items": {"$ref": "#/$defs/step"}}},
            "required": ["steps"]},
    "allof": {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                        {"properties": {"b": {"type": "boolean"}}, "required": ["b"]}]},
    "type-list": {"type": ["string", "null"], "maxLength": 3},
    "nested": {"type": "object", "properties": {"x": {"type": "object", "properties": {"y": {"type": "object",
               "properties": {"z": {"type": "array", "items": {"type": "number"}}}, "required": ["z"]}},
               "required": ["y"]}}, "required": ["x"]},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_a_generated_value_is_valid_against_its_schema_for_any_seed(name: str) -> None:
    schema = SCHEMAS[name]
    validator = jsonschema_rs.validator_for(schema)
    for seed in range(50):
        value = value_for(schema, random.Random(seed))
        assert validator.is_valid(value), (seed, value)


def test_the_same_seed_gives_the_same_value() -> None:
    schema = SCHEMAS["object"]
    assert value_for(schema, random.Random(7)) == value_for(schema, random.Random(7))


def test_a_reference_to_nothing_still_gives_a_value() -> None:
    assert isinstance(value_for({"$ref": "https://elsewhere/schema.json"}, random.Random(1)), str)  # the empty schema's
