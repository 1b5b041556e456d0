"""The attempts executor through a real gateway: a test capability routes a call over two deployments.

The capability's planner reads the requested name `a+b` as "try deployment a, then b" (any other name
is left to the core's `models:` entry) under the policy the test sets; its observer records every try
and refuses the deployments the test names. Deployments are simulator models and a loopback OpenAI
upstream whose model name picks a failure (tests/providers/fake_openai.py), plus a port nobody listens on.
"""

from __future__ import annotations

import dataclasses
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
from aiohttp import web

from rungway.capability import CallContext, Capability, GatewayState, Installed, load_capabilities
from rungway.errors import RateLimited, RungwayError, UpstreamError, UpstreamRejected, UpstreamTimeout
from rungway.gateway.attempts import classify, retry_wait
from rungway.gateway.routing import Attempt, AttemptPolicy, RoutePlan
from rungway.settings.config import ModelRoute
from rungway.store.requests import RequestFilter, query_requests
from rungway.traces.otlp_decode import span_content
from rungway.traces.store import get_trace
from tests.providers.fake_openai import FakeOpenAI, _error
from tests.servers import Gateway, write_config

RULE = "test-rule"


class Upstream(FakeOpenAI):
    """The fake upstream, plus `brief-429` (429 with `retry-after-ms: 20` while `limited` > 0) and
    `long-429` (429 with Retry-After: 60)."""

    limited = 0

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = orjson.loads(await request.read())
        model = body.get("model")
        if model in ("brief-429", "long-429"):
            await self._record(request)
        if model == "brief-429" and self.limited > 0:
            self.limited -= 1
            return _error(429, "slow down", "requests", "rate_limit_exceeded", {"retry-after-ms": "20"})
        if model == "long-429":
            return _error(429, "come back in a minute", "requests", "rate_limit_exceeded", {"Retry-After": "60"})
        return await super().chat(request)


class Router:
    """The test capability's planner and observer."""

    def __init__(self) -> None:
        self.policy = AttemptPolicy()
        self.refused: set[str] = set()
        self.tries: list[Attempt] = []

    def plan(self, state: GatewayState, ctx: CallContext) -> RoutePlan | None:
        names = (ctx.model_requested or "").split("+")
        if len(names) < 2:
            return None
        routes = tuple(state.config.models[name] for name in names)
        return RoutePlan(model=ctx.model_requested or "", deployments=routes, policy=self.policy, rule=RULE)

    def admit(self, deployment_name: str, now: float) -> bool:
        return deployment_name not in self.refused

    def finished(self, ctx: CallContext, attempt: Attempt) -> None:
        self.tries.append(attempt)

    def outcomes(self) -> list[tuple[str, str]]:
        return [(a.deployment.name, a.outcome) for a in self.tries]


CONFIG = """
server:
  admin_key: admin-secret
store:
  url: sqlite:///{db}
providers:
  sim:
    type: simulator
  up:
    type: openai
    base_url: {upstream}
    api_key: sk-upstream
  nowhere:
    type: openai
    base_url: http://127.0.0.1:{closed}/v1
    api_key: sk-upstream
models:
  backup: {{provider: sim, model: gpt-4o-mini-2024-07-18}}
  embed-backup: {{provider: sim, model: text-embedding-3-small}}
  broken: {{provider: up, model: error-500}}
  refusing: {{provider: up, model: error-400}}
  hanging: {{provider: up, model: held}}
  limited: {{provider: up, model: brief-429}}
  saturated: {{provider: up, model: long-429}}
  unreachable: {{provider: nowhere, model: gpt-4o-mini}}
  cut: {{provider: up, model: broken-stream}}
workloads:
  test:
    team: qa
"""


@dataclasses.dataclass
class Setup:
    gateway: Gateway
    upstream: Upstream
    router: Router
    client: openai.OpenAI

    def records(self) -> list[dict[str, Any]]:
        self.gateway.flush()
        return query_requests(self.gateway.state.engine, RequestFilter())

    def sent(self, model: str) -> int:
        return sum(1 for seen in self.upstream.seen if seen.body.get("model") == model)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    upstream = Upstream()
    router = Router()
    routed = Capability(name="routed", install=lambda host: Installed(route_planner=router, attempt_observers=[router]))
    text = CONFIG.format(db=tmp_path / "gw.db", upstream=upstream.base_url, closed=closed_port())
    config = write_config(tmp_path, text)
    config = dataclasses.replace(config, recorder=dataclasses.replace(config.recorder, spill_dir=str(tmp_path)))
    gateway = Gateway(config, [*(c for c in load_capabilities() if c.name != "models"), routed])
    try:
        yield Setup(gateway, upstream, router, gateway.sdk())
    finally:
        gateway.stop()
        upstream.stop()


def chat(client: openai.OpenAI, model: str) -> Any:
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello"}])


def test_a_5xx_fails_over_to_the_next_deployment_and_the_log_span_and_metrics_say_so(setup: Setup) -> None:
    raw = setup.client.chat.completions.with_raw_response.create(
        model="broken+backup", messages=[{"role": "user", "content": "hello"}]
    )
    assert raw.parse().model == "gpt-4o-mini-2024-07-18"
    assert setup.router.outcomes() == [("broken", "5xx"), ("backup", "ok")]
    assert setup.router.tries[0].upstream_status == 500 and setup.router.tries[0].error
    [row] = setup.records()
    assert (row["deployment"], row["route_rule"], row["attempts"], row["failed_over"]) == ("backup", RULE, 2, True)
    assert row["model_requested"] == "broken+backup" and row["model_resolved"] == "gpt-4o-mini-2024-07-18"
    found = get_trace(setup.gateway.state.engine, raw.headers["x-rungway-trace-id"])
    assert found is not None
    attributes = span_content(found[1][0]["content"])["attributes"]
    assert attributes["rungway.route.rule"] == RULE and attributes["rungway.route.deployment"] == "backup"
    assert attributes["rungway.route.attempts"] == 2 and attributes["rungway.route.failed_over"] is True
    with urllib.request.urlopen(setup.gateway.base_url + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert 'rungway_upstream_attempts_total{deployment="broken",outcome="5xx"} 1.0' in metrics
    assert 'rungway_upstream_attempts_total{deployment="backup",outcome="ok"} 1.0' in metrics


def test_a_call_nobody_routed_is_one_try_of_its_model_and_its_span_has_no_route_attributes(setup: Setup) -> None:
    raw = setup.client.chat.completions.with_raw_response.create(
        model="backup", messages=[{"role": "user", "content": "hello"}]
    )
    assert raw.parse().choices
    [row] = setup.records()
    assert (row["deployment"], row["route_rule"], row["attempts"], row["failed_over"]) == ("backup", None, 1, False)
    found = get_trace(setup.gateway.state.engine, raw.headers["x-rungway-trace-id"])
    assert found is not None
    assert not [k for k in span_content(found[1][0]["content"])["attributes"] if k.startswith("rungway.route.")]
    assert setup.router.outcomes() == [("backup", "ok")]


def test_a_timeout_and_a_refused_connection_fail_over(setup: Setup) -> None:
    setup.router.policy = AttemptPolicy(attempt_timeout_s=0.3)
    assert chat(setup.client, "hanging+backup").choices
    assert chat(setup.client, "unreachable+backup").choices
    assert setup.router.outcomes() == [
        ("hanging", "timeout"),
        ("backup", "ok"),
        ("unreachable", "connect"),
        ("backup", "ok"),
    ]
    assert [r["deployment"] for r in setup.records()] == ["backup", "backup"]


def test_an_upstream_4xx_is_relayed_without_a_retry_or_a_failover(setup: Setup) -> None:
    setup.router.policy = AttemptPolicy(retries=3, backoff_base_s=0.001)
    with pytest.raises(openai.BadRequestError) as refused:
        chat(setup.client, "refusing+backup")
    assert "temperature" in str(refused.value)
    assert setup.router.outcomes() == [("refusing", "4xx")] and setup.sent("error-400") == 1
    [row] = setup.records()
    assert (row["status"], row["deployment"], row["attempts"], row["failed_over"]) == (400, "refusing", 1, False)


def test_5xx_is_retried_on_the_same_deployment_with_backoff_before_failing_over(setup: Setup) -> None:
    setup.router.policy = AttemptPolicy(retries=2, backoff_base_s=0.005, backoff_max_s=0.01)
    assert chat(setup.client, "broken+backup").choices
    assert setup.router.outcomes() == [("broken", "5xx")] * 3 + [("backup", "ok")]
    assert setup.sent("error-500") == 3
    assert setup.records()[0]["attempts"] == 4


def test_a_429_is_retried_after_its_retry_after_and_one_beyond_the_cap_moves_on_at_once(setup: Setup) -> None:
    setup.router.policy = AttemptPolicy(retries=3, retry_after_max_s=1.0)
    setup.upstream.limited = 2
    assert chat(setup.client, "limited+backup").choices
    assert setup.router.outcomes() == [("limited", "429"), ("limited", "429"), ("limited", "ok")]
    assert [a.retry_after_s for a in setup.router.tries] == [0.02, 0.02, None]
    setup.router.tries.clear()
    assert chat(setup.client, "saturated+backup").choices
    assert setup.router.outcomes() == [("saturated", "429"), ("backup", "ok")] and setup.sent("long-429") == 1
    rows = setup.records()
    assert [(r["deployment"], r["attempts"], r["failed_over"]) for r in rows] == [
        ("backup", 2, True),
        ("limited", 3, False),
    ]


def test_the_attempt_deadline_ends_a_hanging_upstream_and_the_total_deadline_ends_the_call(setup: Setup) -> None:
    setup.router.policy = AttemptPolicy(attempt_timeout_s=0.2)
    with pytest.raises(openai.APIStatusError) as hung:
        chat(setup.client, "hanging+hanging")
    assert hung.value.status_code == 504 and "within 0.2s" in str(hung.value)
    assert setup.router.outcomes() == [("hanging", "timeout"), ("hanging", "timeout")]
    setup.router.tries.clear()
    setup.router.policy = AttemptPolicy(retries=5, total_timeout_s=0.3)
    with pytest.raises(openai.APIStatusError) as out_of_time:
        chat(setup.client, "hanging+backup")
    assert out_of_time.value.status_code == 504
    assert setup.router.outcomes() == [("hanging", "timeout")]  # no time left to retry or for the backup
    assert [r["status"] for r in setup.records()] == [504, 504]


def test_a_stream_fails_over_before_its_first_chunk_but_not_after(setup: Setup) -> None:
    stream = setup.client.chat.completions.create(
        model="broken+backup", messages=[{"role": "user", "content": "hello"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert setup.router.outcomes() == [("broken", "5xx"), ("backup", "ok")]
    setup.router.tries.clear()
    stream = setup.client.chat.completions.create(
        model="cut+backup", messages=[{"role": "user", "content": "hello"}], stream=True
    )
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass
    assert [name for name, _ in setup.router.outcomes()] == ["cut"]
    assert setup.router.outcomes()[0][1] in ("connect", "5xx")
    rows = setup.records()
    assert [(r["deployment"], r["attempts"], r["failed_over"], r["status"]) for r in rows] == [
        ("cut", 1, False, 502),
        ("backup", 2, True, 200),
    ]


def test_a_stream_that_sends_nothing_within_the_attempt_deadline_fails_over(setup: Setup) -> None:
    setup.router.policy = AttemptPolicy(attempt_timeout_s=0.3)
    stream = setup.client.chat.completions.create(
        model="hanging+backup", messages=[{"role": "user", "content": "hello"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert setup.router.outcomes() == [("hanging", "timeout"), ("backup", "ok")]


def test_embeddings_fail_over_too(setup: Setup) -> None:
    answer = setup.client.embeddings.create(model="broken+embed-backup", input="hello")
    assert answer.data and setup.router.outcomes() == [("broken", "5xx"), ("embed-backup", "ok")]


def test_a_refused_deployment_is_skipped_unsent_and_all_refused_is_503_no_healthy_deployment(setup: Setup) -> None:
    setup.router.refused = {"broken"}
    assert chat(setup.client, "broken+backup").choices
    assert setup.router.outcomes() == [("broken", "skipped"), ("backup", "ok")] and setup.sent("error-500") == 0
    setup.router.refused = {"broken", "backup"}
    with pytest.raises(openai.APIStatusError) as unavailable:
        chat(setup.client, "broken+backup")
    error = unavailable.value
    assert error.status_code == 503 and error.code == "no_healthy_deployment"
    assert isinstance(error.body, dict) and "broken+backup" in error.body["message"]
    rows = setup.records()
    assert [(r["status"], r["attempts"], r["failed_over"]) for r in rows] == [(503, 0, False), (200, 1, True)]


def test_failures_are_classified_and_only_retryable_ones_wait() -> None:
    assert classify(UpstreamTimeout("t")) == ("timeout", None)
    assert classify(RateLimited("r", retry_after=2)) == ("429", 429)
    assert classify(UpstreamError("refused")) == ("connect", None)
    assert classify(UpstreamError("boom", upstream_status=503)) == ("5xx", 503)
    assert classify(UpstreamRejected("bad", status=422)) == ("4xx", 422)
    route = ModelRoute(name="d", provider="p", upstream_model="m")
    policy = AttemptPolicy(retries=4, backoff_base_s=1.0, backoff_max_s=3.0, retry_after_max_s=5.0)

    def wait(outcome: str, retry: int, error: RungwayError | None = None, status: int | None = None) -> float | None:
        attempt = Attempt(route, 0, 0.0, outcome=outcome, upstream_status=status)
        return retry_wait(policy, attempt, retry, error, None)

    assert wait("4xx", 0) is None and wait("5xx", 4, status=500) is None and wait("5xx", 0, status=401) is None
    assert all(0 <= (wait("5xx", 1, status=500) or 0) <= 2.0 for _ in range(50))  # full jitter under base * 2**1
    assert all(0 <= (wait("timeout", 3) or 0) <= 3.0 for _ in range(50))  # capped at backoff_max_s
    assert wait("429", 0, RateLimited("r", retry_after=4)) == 4
    assert wait("429", 0, RateLimited("r", retry_after=6)) is None
