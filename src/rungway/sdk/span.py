"""One application step as the SDK records it; shared by the tracing API and the exporter.

It lives apart from both so that `sdk.tracing` imports `sdk.export` and never the other way round.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson

from rungway.domain.span_kinds import SpanKind

__all__ = ["Span"]


class Span:
    """One step of the application; set its input, output and attributes while it runs."""

    __slots__ = ("attributes", "end_ns", "kind", "name", "parent_span_id", "span_id", "start_ns", "status", "trace_id")

    def __init__(self, name: str, kind: str, parent: Span | None, attributes: dict[str, Any] | None) -> None:
        self.name = name
        self.kind = SpanKind(kind).value
        self.trace_id: str = parent.trace_id if parent is not None else secrets.token_hex(16)
        self.span_id = secrets.token_hex(8)
        self.parent_span_id = parent.span_id if parent is not None else None
        self.attributes: dict[str, Any] = {"rungway.span.kind": self.kind, **(attributes or {})}
        self.start_ns = time.time_ns()
        self.end_ns = 0
        self.status: tuple[int, str] = (0, "")

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-01"

    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def set_input(self, value: Any) -> None:
        self.attributes["input.value"] = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()

    def set_output(self, value: Any) -> None:
        self.attributes["output.value"] = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()

    def set_error(self, message: str) -> None:
        self.status = (2, message)
