"""Budgets through the real gateway and the official SDK: holds under concurrency, 429s, events, restarts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from click.testing import CliRunner

from rungway.budgets.service import BudgetRequest, set_budget
from rungway.cli.main import cli
from tests.budgets.support import (
    MESSAGES,
    api,
    burst,
    config_text,
    get_text,
    logged_spend,
    open_store,
    prespend,
    workload_budget,
)
from tests.servers import Gateway

LIMIT_NANO = 1_000_000  # $0.001
MAX_TOKENS = 20
# The hold of one call: (11 characters + 4 per message + 3) input tokens at 150 + 20 output tokens at 600.
HOLD_NANO = 18 * 150 + MAX_TOKENS * 600


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def counters(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "memory":
        return {"counters": "memory"}
    return {"counters": "redis", "redis_url": str(request.getfixturevalue("redis_url"))}


def _api(gw: Gateway, path: str) -> Any:
    status, body = api(gw.base_url, path)
    assert status == 200, body
    return body


def test_hard_budget_holds_with_200_concurrent_calls_against_a_nearly_exhausted_budget(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, counters: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 900_000)  # 90% spent before the gateway starts: it must be seeded from the log
    workload_budget(engine, "test-hard", "0.001")
    gw = gateway_factory(config_text(**counters), store_url=url)
    key = gw.create_key("test")

    outcome = burst([gw.openai_base], key.secret, 200, max_tokens=MAX_TOKENS)

    gw.flush()
    spent, ok = logged_spend(engine)
    assert not outcome.other and not outcome.rate_refusals
    assert ok == outcome.ok >= 1
    assert len(outcome.budget_refusals) == 200 - outcome.ok
    # Every call costs at most its hold, so the hard limit holds exactly; in any case overspend is at
    # most the holds that can be in flight at once (all 200).
    assert 900_000 + spent <= LIMIT_NANO
    assert 900_000 + spent > LIMIT_NANO - 2 * HOLD_NANO  # and the budget was really used up
    status = _api(gw, "/api/budgets/test-hard")
    assert status["live"] and status["spent_nano"] == status["logged_nano"] == 900_000 + spent
    assert status["reserved_nano"] == 0 and status["overspend_nano"] == 0
    assert status["blocks_this_period"] == len(outcome.budget_refusals)


def test_overspend_when_calls_cost_more_than_their_hold_is_bounded_and_reported(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, counters: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 900_000)
    workload_budget(engine, "test-hard", "0.001")
    # No max_tokens and a default cap of 5 output tokens: the simulator answers with 12 to 40.
    gw = gateway_factory(config_text(default_max_tokens=5, **counters), store_url=url)
    key = gw.create_key("test")

    outcome = burst([gw.openai_base], key.secret, 200)

    gw.flush()
    spent, ok = logged_spend(engine)
    hold = 18 * 150 + 5 * 600
    largest_call = 9 * 150 + 40 * 600
    admitted_at_once = (LIMIT_NANO - 900_000) // hold + 1
    assert ok == outcome.ok and not outcome.other
    overspend = 900_000 + spent - LIMIT_NANO
    assert overspend <= admitted_at_once * largest_call
    status = _api(gw, "/api/budgets/test-hard")
    assert status["overspend_nano"] == max(0, overspend)
    assert status["spent_nano"] == 900_000 + spent


def test_blocked_call_gets_openai_429_naming_the_budget_and_is_recorded(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 999_000)
    workload_budget(engine, "test-daily", "0.001", period="daily")
    gw = gateway_factory(config_text(latency_ms=0), store_url=url)
    key = gw.create_key("test")
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)

    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=MAX_TOKENS)

    error = refused.value.body
    assert isinstance(error, dict) and error["code"] == "budget_exceeded" and error["type"] == "budget_exceeded"
    assert "'test-daily'" in error["message"] and "resets at" in error["message"] and "T00:00:00Z" in error["message"]
    assert 1 <= int(refused.value.response.headers["retry-after"]) <= 86400
    gw.flush()
    events = _api(gw, "/api/budget-events?budget=test-daily&kind=blocked")["data"]
    assert len(events) == 1 and events[0]["requested_nano"] == HOLD_NANO and events[0]["spent_nano"] == 999_000
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", url)
    shown = CliRunner().invoke(cli, ["budgets", "status", "test-daily", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)[0]["blocks_this_period"] == 1
    listed = CliRunner().invoke(cli, ["budgets", "events", "--format", "json"])
    assert json.loads(listed.output)[0]["kind"] == "blocked"


def test_budget_refusal_uses_no_rate_limit_and_rate_refusal_holds_no_budget(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, counters: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 999_000, workload="limited", team="other")
    set_budget(engine, BudgetRequest(name="limited-hard", scope="workload", amount_usd="0.001", workload="limited"))
    gw = gateway_factory(config_text(rpm=1, latency_ms=0, **counters), store_url=url)
    key = gw.create_key("limited")
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)

    def call() -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=MAX_TOKENS)

    with pytest.raises(openai.RateLimitError) as refused:
        call()
    assert refused.value.body["code"] == "budget_exceeded"  # type: ignore[index]
    raised = {"name": "limited-hard", "scope": "workload", "workload": "limited", "amount_usd": "5"}
    status, _ = api(gw.base_url, "/api/budgets", "PUT", raised)
    assert status == 200
    call()  # the refused call took nothing from the workload's 1 request per minute
    with pytest.raises(openai.RateLimitError) as limited:
        call()
    assert limited.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    gw.flush()
    state = _api(gw, "/api/budgets/limited-hard")
    # The rate-limited call left no hold; only the one admitted call was spent.
    assert state["reserved_nano"] == 0
    assert state["spent_nano"] == 999_000 + logged_spend(engine, "limited")[0]


def test_restarted_gateway_remembers_spend_from_the_request_log(
    gateway_factory: Callable[..., Gateway], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    first = gateway_factory(config_text(latency_ms=0), store_url=url)
    key = first.create_key("test")
    client = openai.OpenAI(base_url=first.openai_base, api_key=key.secret, max_retries=0)
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=MAX_TOKENS)
    first.flush()
    spent, _ = logged_spend(open_store(url))
    # A new gateway (fresh in-process counters, like a restart); a budget created over the API is seeded at once.
    second = gateway_factory(config_text(latency_ms=0), store_url=url)
    status, created = api(
        second.base_url,
        "/api/budgets",
        "PUT",
        {"name": "test-m", "scope": "workload", "workload": "test", "amount_usd": "5"},
    )
    assert status == 200, created
    assert created["spent_nano"] == spent > 0
    third = gateway_factory(config_text(latency_ms=0), store_url=url)
    assert _api(third, "/api/budgets/test-m")["spent_nano"] == spent


def test_soft_budget_never_blocks(gateway_factory: Callable[..., Gateway], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    prespend(engine, 2_000_000)
    workload_budget(engine, "test-soft", "0.001", hard=False)
    gw = gateway_factory(config_text(latency_ms=0), store_url=url)
    key = gw.create_key("test")
    outcome = burst([gw.openai_base], key.secret, 5, max_tokens=MAX_TOKENS)
    assert outcome.ok == 5


@pytest.mark.parametrize("fail", ["fail-open", "fail-closed"])
def test_unreachable_redis_fails_open_or_closed_as_configured(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, fail: str
) -> None:
    url = f"sqlite:///{tmp_path}/budget.db"
    workload_budget(open_store(url), "test-hard", "1")
    gw = gateway_factory(config_text("redis", "redis://127.0.0.1:1/0", fail=fail, latency_ms=0), store_url=url)
    key = gw.create_key("test")
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)
    if fail == "fail-open":
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=MAX_TOKENS)
        assert reply.choices[0].message.content
        outcome = "allowed"
    else:
        with pytest.raises(openai.InternalServerError) as refused:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=MAX_TOKENS)
        assert refused.value.status_code == 503
        assert refused.value.response.headers["retry-after"]
        outcome = "refused"
    metrics = get_text(gw.base_url + "/metrics")
    line = f'rungway_counter_backend_errors_total{{backend="redis",outcome="{outcome}"}}'
    assert any(row.startswith(line) and float(row.split()[-1]) >= 1 for row in metrics.splitlines()), metrics


IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "iVBORw0KGgo" * 50}}
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city today",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.mark.parametrize(
    ("extra", "input_bound", "output_cap"),
    [
        pytest.param({"max_tokens": 20}, 18, 20, id="max_tokens"),
        pytest.param({"max_completion_tokens": 30, "max_tokens": 20}, 18, 30, id="max_completion_tokens-wins"),
        pytest.param({}, 18, 100, id="no-max-tokens-uses-budgets.default_max_tokens"),
        pytest.param({"max_tokens": 20, "n": 3}, 18, 60, id="n-choices"),
        pytest.param({"n": 2}, 18, 200, id="n-without-max-tokens"),
        pytest.param(
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "Hello there"}, IMAGE]}],
             "max_tokens": 20},
            (11 + 85) + 1600 + 4 + 3, 20, id="image-part-held-at-its-largest",
        ),
        pytest.param(
            {"messages": [{"role": "user", "content": [
                {"type": "text", "text": "Hello there"},
                {"type": "image_url", "image_url": {"url": IMAGE["image_url"]["url"], "detail": "low"}}]}],
             "max_tokens": 20},
            (11 + 85) + 85 + 4 + 3, 20, id="low-detail-image",
        ),
        pytest.param(
            {"tools": [{"type": "function", "function": WEATHER}], "max_tokens": 20},
            18 + len(str([{"type": "function", "function": WEATHER}])), 20, id="tools",
        ),
        pytest.param({"functions": [WEATHER], "max_tokens": 20}, 18 + len(str([WEATHER])), 20, id="functions"),
    ],
)  # fmt: skip
def test_a_calls_hold_is_its_prompt_bound_and_output_cap_at_the_models_prices(
    gateway_factory: Callable[..., Gateway], tmp_path: Path, extra: dict[str, Any], input_bound: int, output_cap: int
) -> None:
    """gpt-4o-mini: 150 nano-dollars per input token, 600 per output token; the budget ($0.000001) has room
    for no call, so the blocked event records each call's hold."""
    url = f"sqlite:///{tmp_path}/budget.db"
    engine = open_store(url)
    workload_budget(engine, "test-tiny", "0.000001")
    gw = gateway_factory(config_text(default_max_tokens=100), store_url=url)
    key = gw.create_key("test")
    with pytest.raises(openai.RateLimitError) as refused:
        gw.sdk(key.secret).chat.completions.create(**{"model": "gpt-4o-mini", "messages": MESSAGES, **extra})
    assert refused.value.body["code"] == "budget_exceeded"  # type: ignore[index]
    gw.flush()
    events = _api(gw, "/api/budget-events?budget=test-tiny&kind=blocked")["data"]
    assert [e["requested_nano"] for e in events] == [input_bound * 150 + output_cap * 600]
