"""Property test: whatever JSON a client sends to /v1/completions or /v1/moderations, the gateway answers
2xx or 4xx in OpenAI's error shape, never 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.test_fuzz_bodies import _post, _secret, values
from tests.servers import Gateway

completion_body = st.fixed_dictionaries(
    {"model": st.just("gpt-4o-mini") | values},
    optional={
        "prompt": st.text(max_size=30) | st.lists(st.text(max_size=10), max_size=2) | values,
        "suffix": values,
        "max_tokens": values,
        "temperature": values,
        "top_p": values,
        "n": values,
        "stop": values,
        "echo": st.booleans() | values,
        "best_of": values,
        "logprobs": values,
        "seed": values,
        "user": values,
        "stream": st.booleans() | values,
        "stream_options": values,
    },
)
moderation_body = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["gpt-4o-mini", "unknown"]) | values,
        "input": st.text(max_size=30) | st.lists(st.text(max_size=10) | values, max_size=3) | values,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=completion_body)
def test_random_completion_bodies_never_cause_a_server_error(gateway: Gateway, body: dict[str, Any]) -> None:
    assert _post(gateway, _secret(gateway), "/completions", body) < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=moderation_body)
def test_random_moderation_bodies_never_cause_a_server_error(gateway: Gateway, body: dict[str, Any]) -> None:
    assert _post(gateway, _secret(gateway), "/moderations", body) < 500
