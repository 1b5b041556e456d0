"""The cache in a real gateway on the simulator, with the official SDKs: a repeated call is answered from the
exact layer (JSON and streamed, chat completions and the Messages API), a reworded one with the same meaning
from the semantic layer, nothing crosses workloads, `Cache-Control` is obeyed, and each hit is on the log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from sqlalchemy import select

from rungway.store.schema import requests as requests_table
from tests.caching.support import cache_gateway
from tests.servers import Gateway

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def _ask(client: Any, messages: list[dict[str, str]] = QUESTION, **extra: Any) -> tuple[str, str | None, str]:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=messages, **extra)
    answer = raw.parse()
    return str(answer.choices[0].message.content), raw.headers.get("x-rungway-cache"), str(answer.id)


def _rows(gateway: Gateway) -> list[Any]:
    gateway.flush()
    with gateway.state.engine.connect() as conn:
        query = select(
            requests_table.c.workload, requests_table.c.cache, requests_table.c.cost_nano,
            requests_table.c.cost_saved_nano, requests_table.c.cache_similarity, requests_table.c.attempts,
        ).order_by(requests_table.c.ts_start)  # fmt: skip
        return list(conn.execute(query))


def test_a_repeated_call_is_answered_from_the_exact_layer_and_logged_with_what_it_saved(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gateway = cache_gateway(gateway_factory, store_url)
    client = gateway.sdk(gateway.create_key("exact").secret)  # no semantic layer: no embedding cost on the miss
    first, status1, id1 = _ask(client)
    second, status2, id2 = _ask(client)
    assert (status1, status2) == ("miss", "hit")
    assert first == second and id1 != id2
    rows = _rows(gateway)
    assert [r.cache for r in rows] == [None, "exact"]
    miss, hit = rows
    assert miss.cost_nano > 0 and hit.cost_nano == 0
    assert hit.cost_saved_nano == miss.cost_nano and hit.attempts == 0


def test_a_streamed_call_replays_a_cached_answer_as_a_stream(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory)
    client = gateway.sdk(gateway.create_key("test").secret)
    text, _, _ = _ask(client)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=QUESTION, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    replayed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert replayed == text
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert [r.cache for r in _rows(gateway)] == [None, "exact"]


def test_a_streamed_answer_is_kept_and_served_to_a_plain_call(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory)
    client = gateway.sdk(gateway.create_key("test").secret)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=QUESTION, stream=True)
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    gateway.flush()
    text, status, _ = _ask(client)
    assert (text, status) == (streamed, "hit")


def test_the_messages_api_gets_a_cached_answer_in_its_own_shape(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory)
    secret = gateway.create_key("test").secret
    client = anthropic.Anthropic(base_url=gateway.base_url, api_key=secret, max_retries=0)
    asks = [
        client.messages.with_raw_response.create(model="gpt-4o-mini", max_tokens=64, messages=QUESTION)  # type: ignore[arg-type]
        for _ in range(2)
    ]
    assert [a.headers.get("x-rungway-cache") for a in asks] == ["miss", "hit"]
    first, second = (a.parse() for a in asks)
    assert second.type == "message" and second.content[0].text == first.content[0].text  # type: ignore[union-attr]
    with client.messages.stream(model="gpt-4o-mini", max_tokens=64, messages=QUESTION) as stream:  # type: ignore[arg-type]
        assert stream.get_final_text() == first.content[0].text  # type: ignore[union-attr]


def test_the_same_prompt_under_another_workload_is_never_a_hit(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory)
    mine = gateway.sdk(gateway.create_key("test").secret)
    theirs = gateway.sdk(gateway.create_key("other").secret)
    _ask(mine)
    _ask(mine, max_tokens=50)  # another exact key, the same prompt: a semantic hit inside `test`
    assert _ask(theirs)[1] == "miss"
    assert _ask(theirs, max_tokens=50)[1] == "hit"  # their own entry, from their own first call
    rows = _rows(gateway)
    assert [(r.workload, r.cache) for r in rows] == [
        ("test", None),
        ("test", "semantic"),
        ("other", None),
        ("other", "semantic"),
    ]


def test_a_semantic_hit_reports_its_similarity_and_an_uncached_workload_is_untouched(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gateway = cache_gateway(gateway_factory)
    client = gateway.sdk(gateway.create_key("test").secret)
    _ask(client)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=QUESTION, max_tokens=80)
    assert raw.headers["x-rungway-cache"] == "hit"
    assert float(raw.headers["x-rungway-cache-similarity"]) >= 0.9
    plain = gateway.sdk(gateway.create_key("plain").secret)
    raw = plain.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=QUESTION)
    assert "x-rungway-cache" not in raw.headers
    similar = [r for r in _rows(gateway) if r.cache == "semantic"]
    assert len(similar) == 1 and similar[0].cache_similarity >= 0.9


@pytest.mark.parametrize(
    ("header", "second", "stored"),
    [
        ("no-cache", "bypass", True),
        ("no-store", "bypass", False),
        ("max-age=0", "bypass", True),
        ("max-age=3600", "hit", True),
    ],
)
def test_cache_control_decides_reading_and_storing(
    gateway_factory: Callable[..., Gateway], header: str, second: str, stored: bool
) -> None:
    gateway = cache_gateway(gateway_factory, extra="")
    client = gateway.sdk(gateway.create_key("test").secret)
    messages = [{"role": "user", "content": f"Tell me about {header}"}]
    if header != "no-store":
        _ask(client, messages)
    status = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=messages, extra_headers={"Cache-Control": header}
    ).headers["x-rungway-cache"]
    assert status == second
    if header == "no-store":
        assert _ask(client, messages)[1] == "miss"  # the no-store answer was not kept
    else:
        assert _ask(client, messages)[1] == "hit"


@pytest.mark.parametrize(("extra", "reason"), [({"n": 2}, "n"), ({"temperature": 1.5}, "temperature")])
def test_calls_that_may_answer_differently_bypass_the_cache(
    gateway_factory: Callable[..., Gateway], extra: dict[str, Any], reason: str
) -> None:
    gateway = cache_gateway(gateway_factory)
    client = gateway.sdk(gateway.create_key("test").secret)
    assert [_ask(client, **extra)[1] for _ in range(2)] == ["bypass", "bypass"]


def test_an_entry_expires_after_its_ttl(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory, ttl=1)
    client = gateway.sdk(gateway.create_key("test").secret)
    assert _ask(client)[1] == "miss"
    assert _ask(client)[1] == "hit"
    time.sleep(1.1)
    assert _ask(client)[1] == "miss"


def test_a_server_started_later_serves_what_the_store_kept(
    gateway_factory: Callable[..., Gateway], tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path}/kept.db"
    first = cache_gateway(gateway_factory, url)
    _ask(first.sdk(first.create_key("test").secret))
    first.flush()
    second = cache_gateway(gateway_factory, url)  # a restart, or a replica started later: loads the live entries
    assert _ask(second.sdk(second.create_key("test").secret))[1] == "hit"


def test_a_hit_is_on_its_span_with_the_layer_and_the_cost_it_saved(gateway_factory: Callable[..., Gateway]) -> None:
    import requests

    gateway = cache_gateway(gateway_factory)
    secret = gateway.create_key("exact").secret
    client = gateway.sdk(secret)
    _ask(client)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=QUESTION)
    trace_id = raw.headers["x-rungway-trace-id"]
    gateway.flush()
    trace = requests.get(
        f"{gateway.base_url}/api/traces/{trace_id}", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    ).json()
    attributes = [s["attributes"] for s in trace["spans"] if "rungway.cache.layer" in s["attributes"]]
    assert len(attributes) == 1
    assert attributes[0]["rungway.cache.layer"] == "exact" and attributes[0]["rungway.cache.cost_saved_usd"] > 0


def test_a_prompt_under_the_threshold_is_a_miss(gateway_factory: Callable[..., Gateway]) -> None:
    gateway = cache_gateway(gateway_factory)
    client = gateway.sdk(gateway.create_key("test").secret)
    _ask(client, [{"role": "user", "content": "How do I reset my password?"}])
    assert _ask(client, [{"role": "user", "content": "how do I reset my password"}])[1] == "hit"  # case, punctuation
    assert _ask(client, [{"role": "user", "content": "how can I reset my password"}])[1] == "miss"  # 0.85 < 0.9
    assert _ask(client, [{"role": "user", "content": "What are your opening hours on Sunday?"}])[1] == "miss"


BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", {"model": "gpt-4o-mini", "messages": QUESTION}),
    "messages": ("/v1/messages", {"model": "gpt-4o-mini", "max_tokens": 64, "messages": QUESTION}),
    "responses": ("/v1/responses", {"model": "gpt-4o-mini", "input": "What is the capital of France?", "store": False}),
    "completions": ("/v1/completions", {"model": "gpt-4o-mini", "prompt": "What is the capital of France?"}),
}


@pytest.mark.parametrize("api", list(BODIES))
def test_every_endpoint_hits_inside_its_workload_and_never_across(
    gateway_factory: Callable[..., Gateway], api: str
) -> None:
    import requests

    gateway = cache_gateway(gateway_factory)
    path, body = BODIES[api]

    def status(secret: str) -> str:
        headers = {"Authorization": f"Bearer {secret}", "anthropic-version": "2023-06-01"}
        answer = requests.post(gateway.base_url + path, json=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return str(answer.headers["x-rungway-cache"])

    mine, theirs = gateway.create_key("test").secret, gateway.create_key("other").secret
    assert [status(mine), status(mine)] == ["miss", "hit"]
    assert [status(theirs), status(theirs)] == ["miss", "hit"]


def test_the_semantic_index_keeps_at_most_max_entries_and_forgets_the_oldest(
    gateway_factory: Callable[..., Gateway],
) -> None:
    from rungway.caching.runtime import CACHE

    gateway = cache_gateway(gateway_factory)
    semantic = gateway.state.slots[CACHE].semantic
    semantic._max_entries = 2
    client = gateway.sdk(gateway.create_key("test").secret)
    for topic in ("tides", "volcanoes", "glaciers"):
        _ask(client, [{"role": "user", "content": f"Explain {topic} to a child"}])
    gateway.flush()
    assert semantic.size("test") <= 3 and len(semantic._facts) == 2
