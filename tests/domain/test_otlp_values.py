"""Span attribute values as OTLP writes them, the same from the SDK and from the server's exporter."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.common.v1 import common_pb2

from rungway.domain.otlp_values import set_any_value


def written(value: object) -> dict[str, Any]:
    target = common_pb2.AnyValue()
    set_any_value(target, value)
    return MessageToDict(target)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, {"boolValue": True}),
        (7, {"intValue": "7"}),
        (0.25, {"doubleValue": 0.25}),
        ("gpt-4o", {"stringValue": "gpt-4o"}),
        (
            ["a", 1, 2.5, False],
            {
                "arrayValue": {
                    "values": [{"stringValue": "a"}, {"intValue": "1"}, {"doubleValue": 2.5}, {"boolValue": False}]
                }
            },
        ),
        (("x", "y"), {"arrayValue": {"values": [{"stringValue": "x"}, {"stringValue": "y"}]}}),
    ],
)
def test_scalars_keep_their_type_and_lists_of_scalars_become_arrays(value: object, expected: dict[str, Any]) -> None:
    assert written(value) == expected


def test_values_that_are_not_primitives_are_written_as_their_json() -> None:
    nested = {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    assert orjson.loads(written(nested)["stringValue"]) == nested
    assert orjson.loads(written([["a"], ["b"]])["stringValue"]) == [["a"], ["b"]]


def test_an_object_json_cannot_hold_is_written_as_the_app_prints_it() -> None:
    class Model:
        def __str__(self) -> str:
            return "Model(gpt-4o)"

    assert written(Model()) == {"stringValue": "Model(gpt-4o)"}
    inside = {"model": Model()}
    assert written(inside) == {"stringValue": str(inside)}


def test_none_leaves_the_value_empty() -> None:
    assert written(None) == {}
