"""Online scoring through a real gateway on the simulator, on SQLite and PostgreSQL: sampled calls are judged in the
background and stored as online score records on their trace; a judge's spend stops at the daily cap (status and
/metrics say so); the application's feedback sent with the SDK shows beside the online scores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

import rungway.sdk as rw
from rungway.domain.keys import Role
from tests.online_evals.support import online_gateway, runtime_of, settle
from tests.servers import Gateway


def _ask(gateway: Gateway, secret: str, model: str) -> str:
    """One chat call; the trace id the gateway gave it."""
    raw = gateway.sdk(secret).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "Where is my parcel?"}]
    )
    return str(raw.headers["x-rungway-trace-id"])


def _get(gateway: Gateway, secret: str, path: str, **query: str) -> Any:
    answer = requests.get(
        gateway.base_url + path, params=query, headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_sampled_calls_are_stored_as_online_scores_on_their_trace(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gateway = online_gateway(gateway_factory, store_url)
    secret = gateway.create_key("test").secret
    judged = _ask(gateway, secret, "gpt-4o")
    skipped = _ask(gateway, secret, "gpt-4o-mini")  # the filter names gpt-4o only
    settle(gateway)
    scores = _get(gateway, secret, "/api/scores", trace_id=judged)["data"]
    assert len(scores) == 1
    score = scores[0]
    assert (score["source"], score["name"], score["scorer"], score["value"]) == ("online", "short", "length", 1.0)
    assert score["workload"] == "test" and len(score["span_id"]) == 16
    spans = _get(gateway, secret, f"/api/traces/{judged}")
    assert score["span_id"] in {s["span_id"] for s in spans["spans"]}  # the call's own llm span
    assert _get(gateway, secret, "/api/scores", trace_id=skipped)["data"] == []


def test_the_daily_cost_cap_stops_the_judge_and_says_so(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gateway = online_gateway(gateway_factory, store_url, cap=1e-9)  # one judgement costs more than this
    admin = gateway.create_key("test", role=Role.ADMIN).secret
    body = {"name": "helpful", "assert": {"type": "llm-rubric", "value": "Answers the question"}, "sample": 1.0}
    made = requests.post(
        gateway.base_url + "/api/online-evals", json=body, headers={"Authorization": f"Bearer {admin}"}, timeout=10
    )
    assert made.status_code == 201, made.text
    first = _ask(gateway, admin, "gpt-4o-mini")
    settle(gateway)  # the first judgement is made and spends past the cap
    later = [_ask(gateway, admin, "gpt-4o-mini") for _ in range(3)]
    settle(gateway)
    assert [s["name"] for s in _get(gateway, admin, "/api/scores", trace_id=first)["data"]] == ["helpful"]
    assert all(_get(gateway, admin, "/api/scores", trace_id=t)["data"] == [] for t in later)
    (status,) = _get(gateway, admin, "/api/online-evals/status")["data"]
    assert status["capped"] is True and status["spent_today_usd"] > 1e-9
    helpful = next(s for s in status["scorers"] if s["name"] == "helpful")
    assert helpful["today"]["scored"] == 1 and helpful["today"]["capped"] == 3 and helpful["today"]["cost_usd"] > 0
    metrics = requests.get(gateway.base_url + "/metrics", timeout=10).text
    assert 'rungway_online_eval_capped{workload="test"} 1.0' in metrics
    assert 'rungway_online_eval_calls_total{outcome="capped",scorer="helpful",workload="test"} 3.0' in metrics
    assert runtime_of(gateway).book.capped("test")


def test_the_sdks_feedback_shows_beside_the_online_scores(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gateway = online_gateway(gateway_factory, store_url)
    secret = gateway.create_key("test").secret
    traces = [_ask(gateway, secret, "gpt-4o") for _ in range(2)]
    rw.configure(gateway.base_url, gateway.create_key("test", owner="support-app").secret)
    try:
        rw.score(traces[0], "thumbs", True)
        rw.score(traces[1], "thumbs", False)
        assert rw.flush()
    finally:
        rw.shutdown()
    settle(gateway)
    on_trace = _get(gateway, secret, "/api/scores", trace_id=traces[0])["data"]
    assert {(s["name"], s["source"]) for s in on_trace} == {("short", "online"), ("thumbs", "feedback")}
    (status,) = _get(gateway, secret, "/api/online-evals/status")["data"]
    means = {(m["name"], m["source"]): (m["count"], m["mean"]) for m in status["means"]}
    assert means == {("short", "online"): (2, 1.0), ("thumbs", "feedback"): (2, 0.5)}
