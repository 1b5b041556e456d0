"""`/v1/responses` with the official openai SDK as the client, against the simulator, on SQLite and PostgreSQL:
plain, streamed, a function tool round trip, stored state, item_reference, json_schema, store=False,
retrieve / delete / input_items, and one workload never reading another's responses."""

from __future__ import annotations

import json
from collections.abc import Callable

import openai
import pytest

from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def stored_gateway(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(SIMULATOR_CONFIG, store_url=store_url)


def sdk(gateway: Gateway, workload: str = "test") -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.create_key(workload).secret, max_retries=0)


def test_create_answers_a_response_with_text_and_usage(gateway: Gateway) -> None:
    response = sdk(gateway).responses.create(model="gpt-4o-mini", input="Hello there", instructions="Be brief.")
    assert response.id.startswith("resp_") and response.object == "response" and response.status == "completed"
    assert response.model == "gpt-4o-mini" and response.instructions == "Be brief."
    assert response.output[0].type == "message" and response.output_text
    assert response.output[0].content[0].annotations == []  # type: ignore[union-attr]
    assert response.usage is not None and response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.usage.input_tokens_details.cached_tokens == 0


def test_max_output_tokens_makes_an_incomplete_response(gateway: Gateway) -> None:
    response = sdk(gateway).responses.create(model="gpt-4o-mini", input="Tell me a long story", max_output_tokens=2)
    assert response.status == "incomplete" and response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"


def test_stream_sends_typed_events_in_order_with_final_usage(gateway: Gateway) -> None:
    events = list(sdk(gateway).responses.create(model="gpt-4o-mini", input="Tell me a story", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")  # type: ignore[union-attr]
    final = events[-1].response  # type: ignore[union-attr]
    assert deltas and final.output_text == deltas
    assert final.usage is not None and final.usage.output_tokens > 0


def test_function_tool_round_trip_with_previous_response_id(stored_gateway: Gateway) -> None:
    client = sdk(stored_gateway)
    first = client.responses.create(model="gpt-4o-mini", input="Weather in Paris?", tools=[WEATHER])  # type: ignore[list-item]
    call = first.output[0]
    assert call.type == "function_call" and call.name == "get_weather" and call.id.startswith("fc_")  # type: ignore[union-attr]
    assert "city" in json.loads(call.arguments)  # type: ignore[union-attr]
    second = client.responses.create(
        model="gpt-4o-mini",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21C"}],  # type: ignore[union-attr]
        tools=[WEATHER],  # type: ignore[list-item]
    )
    assert second.output[0].type == "message" and second.output_text
    assert second.previous_response_id == first.id
    items = client.responses.input_items.list(second.id, order="asc")
    assert [item.type for item in items.data] == ["message", "function_call", "function_call_output"]


def test_streamed_tool_call_sends_argument_events(gateway: Gateway) -> None:
    events = list(sdk(gateway).responses.create(model="gpt-4o-mini", input="Weather?", tools=[WEATHER], stream=True))  # type: ignore[list-item]
    kinds = [event.type for event in events]
    assert "response.function_call_arguments.delta" in kinds and "response.function_call_arguments.done" in kinds
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output[0].type == "function_call" and json.loads(final.output[0].arguments)


def test_previous_response_id_carries_the_conversation_but_not_instructions(stored_gateway: Gateway) -> None:
    client = sdk(stored_gateway)
    first = client.responses.create(model="gpt-4o-mini", input="My name is Ada.", instructions="Be brief.")
    second = client.responses.create(model="gpt-4o-mini", input="What is my name?", previous_response_id=first.id)
    assert second.instructions is None
    items = client.responses.input_items.list(second.id, order="asc").data
    assert [getattr(i, "role", None) for i in items] == ["user", "assistant", "user"]
    assert items[1].id == first.output[0].id


def test_item_reference_resolves_an_item_of_a_stored_response(stored_gateway: Gateway) -> None:
    client = sdk(stored_gateway)
    first = client.responses.create(model="gpt-4o-mini", input="Remember this.")
    second = client.responses.create(
        model="gpt-4o-mini",
        input=[{"type": "item_reference", "id": first.output[0].id}, {"role": "user", "content": "Again?"}],
    )
    items = client.responses.input_items.list(second.id, order="asc").data
    assert items[0].id == first.output[0].id and items[0].role == "assistant"  # type: ignore[union-attr]
    with pytest.raises(openai.NotFoundError) as missing:
        client.responses.create(model="gpt-4o-mini", input=[{"type": "item_reference", "id": "msg_nothere_0"}])
    assert missing.value.body["code"] == "item_not_found"  # type: ignore[index]


def test_json_schema_format_answers_valid_json(gateway: Gateway) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    }
    response = sdk(gateway).responses.create(
        model="gpt-4o-mini",
        input="A city",
        text={"format": {"type": "json_schema", "name": "city", "schema": schema, "strict": True}},
    )
    assert isinstance(json.loads(response.output_text)["city"], str)
    assert response.text.format.type == "json_schema"  # type: ignore[union-attr]


def test_store_false_keeps_nothing(stored_gateway: Gateway) -> None:
    client = sdk(stored_gateway)
    response = client.responses.create(model="gpt-4o-mini", input="Forget me", store=False)
    assert response.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError) as later:
        client.responses.create(model="gpt-4o-mini", input="and?", previous_response_id=response.id)
    assert later.value.body["code"] == "previous_response_not_found"  # type: ignore[index]


def test_retrieve_delete_and_input_items_read_the_stored_response(stored_gateway: Gateway) -> None:
    client = sdk(stored_gateway)
    created = client.responses.create(
        model="gpt-4o-mini", input=[{"role": "user", "content": f"part {i}"} for i in range(3)]
    )
    assert client.responses.retrieve(created.id).output_text == created.output_text
    page = client.responses.input_items.list(created.id, limit=2)
    assert [i.content[0].text for i in page.data] == ["part 2", "part 1"]  # type: ignore[union-attr]
    assert page.has_more and page.last_id == page.data[-1].id
    rest = client.responses.input_items.list(created.id, limit=2, after=page.last_id)  # type: ignore[arg-type]
    assert [i.content[0].text for i in rest.data] == ["part 0"] and not rest.has_more  # type: ignore[union-attr]
    deleted = client.responses.delete(created.id)
    assert deleted is None or getattr(deleted, "deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)


def test_another_replica_reads_a_stored_response_from_the_store(
    stored_gateway: Gateway, gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    created = sdk(stored_gateway).responses.create(model="gpt-4o-mini", input="Keep me")
    stored_gateway.flush()
    replica = sdk(gateway_factory(SIMULATOR_CONFIG, store_url=store_url))  # its memory holds nothing yet
    assert replica.responses.retrieve(created.id).output_text == created.output_text
    follow_up = replica.responses.create(model="gpt-4o-mini", input="More", previous_response_id=created.id)
    assert len(replica.responses.input_items.list(follow_up.id).data) == 3


def test_a_response_of_another_workload_is_not_found(stored_gateway: Gateway) -> None:
    mine = sdk(stored_gateway, "alpha").responses.create(model="gpt-4o-mini", input="secret")
    other = sdk(stored_gateway, "beta")
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(mine.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.delete(mine.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.input_items.list(mine.id)
    with pytest.raises(openai.NotFoundError) as chained:
        other.responses.create(model="gpt-4o-mini", input="?", previous_response_id=mine.id)
    assert chained.value.body["code"] == "previous_response_not_found"  # type: ignore[index]
