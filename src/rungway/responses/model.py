"""A stored response: what `previous_response_id`, `item_reference`, retrieve and input_items read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DeletedResponse", "StoredResponse", "item_response_id"]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """One response of one workload: its input items (the previous responses' resolved, then the request's,
    each with an id), the response object as answered, and how many responses its chain links."""

    id: str
    workload: str
    created_at: float
    input_items: list[dict[str, Any]]
    response: dict[str, Any]
    depth: int = 1

    @property
    def output_items(self) -> list[dict[str, Any]]:
        output = self.response.get("output")
        return output if isinstance(output, list) else []

    def item(self, item_id: str) -> dict[str, Any] | None:
        for item in (*self.input_items, *self.output_items):
            if item.get("id") == item_id:
                return item
        return None


@dataclass(frozen=True, slots=True)
class DeletedResponse:
    """A delete, queued behind the writes of the same response so that it wins."""

    id: str
    workload: str


def item_response_id(item_id: str) -> str | None:
    """The response an item id belongs to: items are named `<kind>_<base>_<n>` for response `resp_<base>`."""
    kind, _, rest = item_id.partition("_")
    base, _, index = rest.rpartition("_")
    if not kind or not base or not index:
        return None
    return "resp_" + base
