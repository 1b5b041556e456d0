"""Property test: whatever JSON a client sends, the gateway answers 2xx or 4xx, never 5xx."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.test_raw_http import http
from tests.servers import Gateway

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant", "tool", "bogus"]) | values},
    optional={
        "content": values | st.text(max_size=30),
        "tool_calls": st.lists(st.fixed_dictionaries({"id": values, "function": values}), max_size=2) | values,
        "name": values,
    },
)
chat_body = st.fixed_dictionaries(
    {"model": st.sampled_from(["gpt-4o-mini", "unknown"]) | values},
    optional={
        "messages": st.lists(message, max_size=3) | values,
        "n": values,
        "max_tokens": values,
        "stop": values,
        "tools": values,
        "tool_choice": values,
        "response_format": values,
        "stream": st.booleans() | values,
        "seed": values,
        "temperature": values,
        "metadata": values,
        "user": values,
        "stream_options": values,
    },
)
embed_body = st.fixed_dictionaries(
    {"model": st.just("text-embedding-3-small") | values},
    optional={"input": values, "dimensions": values, "encoding_format": values},
)


def _post(gw: Gateway, secret: str, path: str, body: Any) -> int:
    status, _, raw = http(gw.openai_base + path, json.dumps(body).encode(), {"Authorization": f"Bearer {secret}"})
    if status >= 400:
        assert "error" in json.loads(raw)
    return status


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=chat_body)
def test_random_chat_bodies_never_cause_a_server_error(gateway: Gateway, body: dict[str, Any]) -> None:
    assert _post(gateway, _secret(gateway), "/chat/completions", body) < 500


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=embed_body)
def test_random_embedding_bodies_never_cause_a_server_error(gateway: Gateway, body: dict[str, Any]) -> None:
    assert _post(gateway, _secret(gateway), "/embeddings", body) < 500


def _secret(gateway: Gateway) -> str:
    cached: str | None = getattr(gateway, "_fuzz_secret", None)
    if cached is None:
        cached = gateway.create_key("fuzz").secret
        gateway._fuzz_secret = cached  # type: ignore[attr-defined]
    return cached


caller_models = st.builds(lambda s: "fz-" + s, st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=4, max_size=12))
bounded_chat_body = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["gpt-4o-mini", "gpt-4o"]) | caller_models,
        "messages": st.just([{"role": "user", "content": "hi"}]),
    },
    optional={"user": values, "metadata": values, "stream": st.booleans(), "stream_options": values, "n": values},
)


def test_random_bodies_never_add_caller_chosen_metric_series(gateway: Gateway) -> None:
    """Labels come from configuration only: model names a caller types never become /metrics series."""
    sent: set[str] = set()

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(body=bounded_chat_body)
    def post(body: dict[str, Any]) -> None:
        assert _post(gateway, _secret(gateway), "/chat/completions", body) < 500
        sent.add(body["model"])

    post()
    gateway.flush()
    status, _, raw = http(gateway.base_url + "/metrics")
    assert status == 200
    text = raw.decode()
    typed_by_callers = {m for m in sent if m.startswith("fz-")}
    assert len(typed_by_callers) >= 10
    shown = set(re.findall(r'model="(fz-[a-z0-9]+)"', text))
    assert not shown, f"{len(shown)} caller-typed model names became series, e.g. {sorted(shown)[:3]}"
    assert len(text.splitlines()) < 600  # a fixed set of series for 2 workloads' worth of configured models
