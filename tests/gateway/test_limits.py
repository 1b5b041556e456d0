"""The limits step (`gateway/limits.py`): requests- and tokens-per-minute limits per key and per workload,
answered 429 with Retry-After and the OpenAI error body, on both counters backends. The windows roll on an
injected clock: the gateway's real counters, with every call's `now` pinned by the test."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

import openai
import pytest

from rungway.counters.base import BudgetDenied, BudgetSettle, BudgetUse, Counters, Denied, WindowUse
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

WINDOW_START = 1_800_000_000.0  # a minute boundary

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


class PinnedClock:
    """The gateway's own counters, with the time of every call that gives none set by the test."""

    def __init__(self, counters: Counters, now: float) -> None:
        self.counters = counters
        self.name = counters.name
        self.now = now

    async def admit(
        self, windows: Sequence[WindowUse], budgets: Sequence[BudgetUse], now: float | None = None
    ) -> Denied | BudgetDenied | None:
        return await self.counters.admit(windows, budgets, self.now if now is None else now)

    async def finish(
        self, settles: Sequence[BudgetSettle], corrections: Sequence[WindowUse], now: float | None = None
    ) -> list[tuple[int, int]]:
        return await self.counters.finish(settles, corrections, self.now if now is None else now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.counters, name)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def counters_block(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "counters:\n  backend: memory\n"
    url = request.getfixturevalue("redis_url")
    return f"counters:\n  backend: redis\n  redis_url: {url}\n  key_prefix: 't:{secrets.token_hex(6)}:'\n"


def pinned(gw: Gateway, now: float) -> PinnedClock:
    clock = PinnedClock(gw.state.counters, now)
    gw.state.counters = clock  # type: ignore[assignment]
    return clock


def post_chat(gw: Gateway, secret: str, content: str = "hello") -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON body) of one raw chat call."""
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}).encode()
    request = urllib.request.Request(
        gw.openai_base + "/chat/completions",
        data=body,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_key_rpm_refuses_with_429_retry_after_and_the_openai_error_body_until_the_window_rolls(
    gateway_factory: Callable[..., Gateway], counters_block: str
) -> None:
    gw = gateway_factory(SIMULATOR_CONFIG + counters_block)
    key = gw.create_key(rpm_limit=2)
    clock = pinned(gw, WINDOW_START + 10)
    assert [post_chat(gw, key.secret)[0] for _ in range(2)] == [200, 200]
    status, headers, body = post_chat(gw, key.secret)
    assert status == 429
    # 50 s to the next window, then half of it, until 2 * (1 - 0.5) + 1 fits under 2.
    assert headers["Retry-After"] == "80"
    assert body == {
        "error": {
            "message": "Rate limit reached: key requests per minute is 2; retry in 80.0s.",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    clock.now = WINDOW_START + 89
    assert post_chat(gw, key.secret)[0] == 429
    clock.now = WINDOW_START + 90
    assert post_chat(gw, key.secret)[0] == 200
    clock.now = WINDOW_START + 180  # two windows on: nothing of the first minute counts
    assert [post_chat(gw, key.secret)[0] for _ in range(3)] == [200, 200, 429]


def test_the_token_estimate_is_replaced_by_the_real_usage_on_key_and_workload_tpm(
    gateway_factory: Callable[..., Gateway], counters_block: str
) -> None:
    text = SIMULATOR_CONFIG.replace("    team: qa", "    team: qa\n    tpm: 100000") + counters_block
    gw = gateway_factory(text)
    key = gw.create_key(tpm_limit=100_000)
    pinned(gw, WINDOW_START + 5)
    status, _, body = post_chat(gw, key.secret, "x" * 400)  # estimated at 400 / 4 + 1 = 101 tokens
    assert status == 200
    gw.flush()
    used = body["usage"]["total_tokens"]
    assert used != 101
    current = [gw.call(lambda k=k: gw.state.counters.current(k, 60, WINDOW_START + 5)) for k in (
        f"tpm:key:{key.key.id}", "tpm:wl:test", f"rpm:key:{key.key.id}")]  # fmt: skip
    assert current == [used, used, 0]  # no key rpm is set (and none by default)


def test_a_call_over_the_workload_tpm_is_refused_and_leaves_no_count_on_the_other_limits(
    gateway_factory: Callable[..., Gateway], counters_block: str
) -> None:
    text = SIMULATOR_CONFIG.replace("    team: qa", "    team: qa\n    tpm: 50\n    rpm: 10") + counters_block
    gw = gateway_factory(text)
    key = gw.create_key(rpm_limit=10, tpm_limit=1000)
    pinned(gw, WINDOW_START + 30)
    status, headers, body = post_chat(gw, key.secret, "y" * 400)  # 101 estimated tokens > 50
    assert status == 429 and body["error"]["code"] == "rate_limit_exceeded"
    assert body["error"]["message"].startswith("Rate limit reached: workload tokens per minute is 50;")
    assert int(headers["Retry-After"]) >= 30  # never fits in this window
    counts = [gw.call(lambda k=k: gw.state.counters.current(k, 60, WINDOW_START + 30)) for k in (
        f"rpm:key:{key.key.id}", f"tpm:key:{key.key.id}", "rpm:wl:test", "tpm:wl:test")]  # fmt: skip
    assert counts == [0, 0, 0, 0]


def test_key_and_workload_limits_are_counted_apart(
    gateway_factory: Callable[..., Gateway], counters_block: str
) -> None:
    text = SIMULATOR_CONFIG.replace("    team: qa", "    team: qa\n    rpm: 3") + counters_block
    gw = gateway_factory(text)
    first, second = gw.create_key(rpm_limit=2), gw.create_key(rpm_limit=2)
    pinned(gw, WINDOW_START)
    assert [post_chat(gw, first.secret)[0] for _ in range(3)] == [200, 200, 429]  # the key's own limit
    assert post_chat(gw, second.secret)[0] == 200  # the workload's 3rd call: the refused one was not counted
    status, _, body = post_chat(gw, second.secret)  # the key has room, the workload has not
    assert status == 429 and "workload requests per minute is 3" in body["error"]["message"]


@pytest.mark.redis
@pytest.mark.parametrize(("on_error", "expected"), [("fail-open", 200), ("fail-closed", 503)])
def test_an_unreachable_counters_backend_fails_open_or_closed_as_configured(
    gateway_factory: Callable[..., Gateway], on_error: str, expected: int
) -> None:
    block = f"counters:\n  backend: redis\n  redis_url: redis://127.0.0.1:1/0\n  on_error: {on_error}\n"
    gw = gateway_factory(SIMULATOR_CONFIG + block)
    key = gw.create_key(rpm_limit=5)
    status, headers, body = post_chat(gw, key.secret)
    assert status == expected
    if expected == 503:
        assert body["error"]["code"] == "overloaded" and "fail closed" in body["error"]["message"]
        assert headers["Retry-After"] == "1"
    outcome = "allowed" if expected == 200 else "refused"
    with urllib.request.urlopen(gw.base_url + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert f'rungway_counter_backend_errors_total{{backend="redis",outcome="{outcome}"}} 1.0' in metrics
