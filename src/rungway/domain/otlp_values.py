"""How an attribute value is written as an OTLP `AnyValue`: one rule for both exporters.

The SDK's exporter (inside the application) and the server's trace exporter (to Jaeger, Tempo or a
collector) write span attributes the same way, so a span reads the same wherever it was sent from.
Scalars keep their type; a list or tuple of scalars becomes an array; anything else (a mapping, a
nested list) is written as its JSON text, as OpenTelemetry asks for values that are not primitives,
or as its `str()` when JSON cannot hold it. None leaves the value empty.
"""

from __future__ import annotations

import orjson
from opentelemetry.proto.common.v1 import common_pb2

__all__ = ["set_any_value"]


def set_any_value(target: common_pb2.AnyValue, value: object) -> None:
    """Write `value` into `target` (an attribute's `value`, or an array's element)."""
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int):
        target.int_value = value
    elif isinstance(value, float):
        target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, list | tuple) and all(isinstance(v, str | int | float | bool) for v in value):
        for item in value:
            set_any_value(target.array_value.values.add(), item)
    elif value is not None:
        try:
            target.string_value = orjson.dumps(value).decode()
        except TypeError:  # orjson.JSONEncodeError: an object JSON cannot hold is written as the app prints it
            target.string_value = str(value)
