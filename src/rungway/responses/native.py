"""A Responses call sent natively to an upstream that serves the Responses API (OpenAI's), and its answer
made the gateway's own.

Rungway keeps the conversation (`previous_response_id`, `item_reference`, retrieve, input_items), so the
upstream is sent the whole resolved input with `store: false`: nothing is kept upstream, and a chain works
the same whichever deployment served each of its turns. The answer, JSON or every streamed event, goes back
as the upstream sent it, except for what names the conversation: the response id is Rungway's
(`resp_<base>`), each output item's id becomes `<prefix>_<base>_<n>` so that `item_reference` finds it, the
model is the one the client asked for, and `store` and `previous_response_id` are the client's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NativeIds", "upstream_body"]

_DROPPED = ("previous_response_id", "prompt", "stream")


def upstream_body(request: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The request as the upstream takes it: the resolved conversation as `input`, nothing stored there."""
    body = {name: value for name, value in request.items() if name not in _DROPPED}
    body["input"] = items
    body["store"] = False
    return body


class NativeIds:
    """The upstream's ids for one response, renamed to Rungway's, the same way in its JSON and its events."""

    __slots__ = ("_base", "_items", "_model", "_previous", "_response_id", "_store")

    def __init__(self, response_id: str, base: str, model: str, store: bool, previous: str | None) -> None:
        self._response_id = response_id
        self._base = base
        self._model = model
        self._store = store
        self._previous = previous
        self._items: dict[str, str] = {}

    def item_id(self, upstream_id: Any) -> str:
        """The Rungway id of an upstream item id (the same one each time it is named)."""
        key = str(upstream_id)
        found = self._items.get(key)
        if found is None:
            prefix = key.partition("_")[0] or "item"
            found = self._items[key] = f"{prefix[:16]}_{self._base}_{len(self._items)}"
        return found

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """A response object with Rungway's ids, model and storage fields."""
        output = response.get("output")
        renamed = {
            **response,
            "id": self._response_id,
            "model": self._model,
            "store": self._store,
            "previous_response_id": self._previous,
        }
        if isinstance(output, list):
            renamed["output"] = [self.item(item) for item in output]
        return renamed

    def item(self, item: Any) -> Any:
        if isinstance(item, dict) and "id" in item:
            return {**item, "id": self.item_id(item["id"])}
        return item

    def event(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """A stream event with Rungway's ids, or None when it names none (send it as it came)."""
        renamed: dict[str, Any] | None = None
        if "item_id" in data:
            renamed = {**data, "item_id": self.item_id(data["item_id"])}
        if isinstance(data.get("item"), dict):
            renamed = {**(renamed or data), "item": self.item(data["item"])}
        if isinstance(data.get("response"), dict):
            renamed = {**(renamed or data), "response": self.response(data["response"])}
        return renamed
