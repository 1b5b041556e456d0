"""`/v1/completions` through the real gateway with the official openai SDK, on the simulator (which answers
with the start of the prompt): plain, streamed, n, echo, stop; errors in OpenAI's shape; scoping, limits,
the request log row, the span and the output guard."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from sqlalchemy import select

from rungway.store.schema import requests
from tests.budgets.support import config_text, open_store, prespend, workload_budget
from tests.conftest import SIMULATOR_CONFIG
from tests.guardrails.conftest import AWS_KEY, EMAIL, SIMULATED
from tests.servers import Gateway


def post(gw: Gateway, body: object, key: str | None, path: str = "/v1/completions") -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(gw.base_url + path, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def rows(gw: Gateway) -> list[Any]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    requests.c.id,
                    requests.c.endpoint,
                    requests.c.status,
                    requests.c.stream,
                    requests.c.workload,
                    requests.c.tokens_in,
                    requests.c.tokens_out,
                    requests.c.cost_nano,
                    requests.c.ttft_ms,
                    requests.c.trace_id,
                ).order_by(requests.c.ts_start)
            )
        )


def test_a_completion_answers_a_text_completion_and_is_recorded(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    raw = client.completions.with_raw_response.create(model="gpt-4o-mini", prompt="Say hello to the world")
    answer = raw.parse()
    assert answer.object == "text_completion" and answer.id.startswith("cmpl-")
    assert answer.model.startswith("gpt-4o-mini")
    assert len(answer.choices) == 1 and answer.choices[0].text and answer.choices[0].index == 0
    assert answer.choices[0].logprobs is None and answer.choices[0].finish_reason in ("stop", "length")
    assert answer.usage is not None and answer.usage.completion_tokens <= 16  # OpenAI's default max_tokens
    (row,) = rows(gateway)
    assert row.id == raw.headers["x-request-id"] and answer.id == "cmpl-" + row.id.removeprefix("req_")
    assert (row.endpoint, row.status, row.workload) == ("completions", 200, "test")
    assert row.tokens_in == answer.usage.prompt_tokens and row.tokens_out == answer.usage.completion_tokens
    assert row.cost_nano > 0
    with gateway.state.engine.connect() as conn:
        spans = conn.exec_driver_sql("select name from spans where trace_id = ?", (row.trace_id,)).all()
    assert spans, "the call has a span"


def test_a_streamed_completion_is_text_completion_chunks_with_usage_when_asked(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    chunks = list(
        client.completions.create(
            model="gpt-4o-mini",
            prompt="Tell me a long story about a lighthouse keeper",
            max_tokens=40,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "text_completion" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text and [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")
    assert not chunks[-1].choices and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    (row,) = rows(gateway)
    assert row.endpoint == "completions" and row.stream and row.ttft_ms is not None
    assert row.tokens_out == chunks[-1].usage.completion_tokens


def test_a_stream_without_include_usage_has_no_usage_chunk(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    chunks = list(client.completions.create(model="gpt-4o-mini", prompt="Hello there", stream=True))
    assert chunks and all(c.choices and c.usage is None for c in chunks)


def test_n_echo_and_stop_are_served(gateway: Gateway) -> None:
    client = gateway.sdk(gateway.create_key().secret)
    two = client.completions.create(model="gpt-4o-mini", prompt="Name a colour", n=2, max_tokens=30)
    assert [c.index for c in two.choices] == [0, 1]
    echoed = client.completions.create(model="gpt-4o-mini", prompt="Once upon a time", echo=True)
    assert echoed.choices[0].text.startswith("Once upon a time") and len(echoed.choices[0].text) > 16
    streamed = list(
        client.completions.create(model="gpt-4o-mini", prompt="Once upon a time", echo=True, n=2, stream=True)
    )
    for index in (0, 1):
        text = "".join(c.choices[0].text for c in streamed if c.choices and c.choices[0].index == index)
        assert text.startswith("Once upon a time") and len(text) > 16
    plain = client.completions.create(model="gpt-4o-mini", prompt="alpha beta gamma delta", max_tokens=50)
    word = plain.choices[0].text.split()[2]
    stopped = client.completions.create(model="gpt-4o-mini", prompt="alpha beta gamma delta", max_tokens=50, stop=word)
    assert word not in stopped.choices[0].text and stopped.choices[0].finish_reason == "stop"


def test_an_array_of_one_prompt_is_served_and_the_unix_path_too(gateway: Gateway) -> None:
    key = gateway.create_key().secret
    status, body = post(gateway, {"model": "gpt-4o-mini", "prompt": ["Hello"]}, key)
    assert status == 200 and body["object"] == "text_completion"
    status, body = post(gateway, {"model": "gpt-4o-mini", "prompt": "Hello"}, key, path="/completions")
    assert status == 200 and body["choices"][0]["text"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "gpt-4o-mini"}, "prompt"),
        ({"model": "gpt-4o-mini", "prompt": ""}, "prompt"),
        ({"model": "gpt-4o-mini", "prompt": ["a", "b"]}, "prompt"),
        ({"model": "gpt-4o-mini", "prompt": [1, 2, 3]}, "prompt"),
        ({"model": "gpt-4o-mini", "prompt": [[1, 2]]}, "prompt"),
        ({"model": "gpt-4o-mini", "prompt": {"x": 1}}, "prompt"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "suffix": "end"}, "suffix"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "logprobs": 2}, "logprobs"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "best_of": 3}, "best_of"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "best_of": "x"}, "best_of"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "echo": "yes"}, "echo"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "n": 0}, "n"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "max_tokens": -1}, "max_tokens"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "stream": "yes"}, "stream"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "stream_options": 3}, "stream_options"),
        ({"model": "gpt-4o-mini", "prompt": "hi", "tools": []}, "tools"),
        ({"prompt": "hi"}, "model"),
    ],
)
def test_a_bad_body_is_a_400_in_openais_shape_naming_the_field(
    gateway: Gateway, body: dict[str, Any], param: str
) -> None:
    status, answer = post(gateway, body, gateway.create_key().secret)
    assert status == 400, answer
    assert answer["error"]["param"] == param and answer["error"]["type"] == "invalid_request_error"


def test_auth_and_json_failures_are_openai_errors(gateway: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        gateway.sdk("sk-wrong").completions.create(model="gpt-4o-mini", prompt="hi")
    status, answer = post(gateway, {"model": "gpt-4o-mini", "prompt": "hi"}, None)
    assert status == 401 and "error" in answer
    status, answer = post(gateway, b"{not json", gateway.create_key().secret)
    assert status == 400 and answer["error"]["code"] == "invalid_json"
    status, answer = post(gateway, b"[1]", gateway.create_key().secret)
    assert status == 400 and answer["error"]["code"] == "invalid_json"
    with pytest.raises(openai.NotFoundError):
        gateway.sdk(gateway.create_key().secret).completions.create(model="no-such-model", prompt="hi")


def test_a_key_reaches_only_its_models_and_its_calls_are_its_workloads(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "  other:\n    team: ops\n")
    narrow = gw.sdk(gw.create_key("other", allowed_models=("gpt-4o",)).secret)
    with pytest.raises(openai.APIStatusError) as refused:
        narrow.completions.create(model="gpt-4o-mini", prompt="hi")
    assert refused.value.status_code in (403, 404)
    narrow.completions.create(model="gpt-4o", prompt="hi")
    gw.sdk(gw.create_key("test").secret).completions.create(model="gpt-4o-mini", prompt="hi")
    served = [(r.workload, r.status) for r in rows(gw)]
    assert sorted(served) == sorted([("other", refused.value.status_code), ("other", 200), ("test", 200)])


def test_rate_limits_apply_with_a_429_in_openais_shape(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG)
    client = gw.sdk(gw.create_key(rpm_limit=1).secret).with_options(max_retries=0)
    client.completions.create(model="gpt-4o-mini", prompt="hi")
    with pytest.raises(openai.RateLimitError) as limited:
        client.completions.create(model="gpt-4o-mini", prompt="hi")
    assert limited.value.response.headers.get("retry-after")
    assert limited.value.code is not None


def test_the_output_guard_redacts_and_blocks_completions(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    redact = gw.sdk(gw.create_key("out-redact").secret)
    text = redact.completions.create(model="gpt-4o-mini", prompt=f"mail {EMAIL} now", max_tokens=60).choices[0].text
    assert "[EMAIL_1]" in text and EMAIL not in text
    streamed = redact.completions.create(model="gpt-4o-mini", prompt=f"mail {EMAIL} now", max_tokens=60, stream=True)
    joined = "".join(c.choices[0].text for c in streamed if c.choices)
    assert "[EMAIL_1]" in joined and "alice" not in joined
    block = gw.sdk(gw.create_key("out-block").secret)
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        block.completions.create(model="gpt-4o-mini", prompt=f"my key {AWS_KEY}", max_tokens=60)
    assert refused.value.code == "output_blocked"
    with pytest.raises(openai.APIError):
        list(block.completions.create(model="gpt-4o-mini", prompt=f"please mail {EMAIL} today", stream=True))


def test_a_hard_budget_refuses_a_completion_with_a_429_in_openais_shape(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 999_000)
    workload_budget(engine, "test-daily", "0.001", period="daily")
    gw = gateway_factory(config_text(latency_ms=0), store_url=url)
    client = gw.sdk(gw.create_key().secret).with_options(max_retries=0)
    with pytest.raises(openai.RateLimitError) as refused:
        client.completions.create(model="gpt-4o-mini", prompt="hi")
    assert "'test-daily'" in refused.value.message
    assert 1 <= int(refused.value.response.headers["retry-after"]) <= 86400
