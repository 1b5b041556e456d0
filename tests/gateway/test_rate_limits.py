"""Requests- and tokens-per-minute limits per key and per workload, answered 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

MESSAGES = [{"role": "user", "content": "hello"}]


def client(gw: Gateway, secret: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.openai_base, api_key=secret, max_retries=0)


def test_workload_rpm_is_shared_by_all_its_keys(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG.replace("    team: qa", "    team: qa\n    rpm: 3"))
    first, second = gw.create_key("test"), gw.create_key("test")
    for secret in (first.secret, second.secret, first.secret):
        client(gw, secret).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as limited:
        client(gw, second.secret).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert "workload requests per minute" in str(limited.value)
    assert limited.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    other = gw.create_key("other-workload")
    client(gw, other.secret).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]


def test_key_tpm_counts_real_usage_after_the_call(gateway: Gateway) -> None:
    key = gateway.create_key(tpm_limit=60)
    c = client(gateway, key.secret)
    reply = c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    assert reply.usage is not None and reply.usage.total_tokens < 60
    used = reply.usage.total_tokens
    calls = 1
    with pytest.raises(openai.RateLimitError) as limited:
        while calls < 20:
            c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
            calls += 1
    # The limit refuses once the real tokens of earlier calls leave no room for the next one's estimate.
    assert used * (calls - 1) < 60 <= used * calls + used
    assert "tokens per minute" in str(limited.value)
    assert int(limited.value.response.headers["retry-after"]) >= 1


def test_default_key_limits_from_config(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + "limits:\n  key_rpm: 1\n")
    key = gw.create_key()
    client(gw, key.secret).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError):
        client(gw, key.secret).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
    gw.flush()
    with gw.state.engine.connect() as conn:
        statuses = sorted(r[0] for r in conn.exec_driver_sql("select status from requests"))
    assert statuses == [200, 429]
