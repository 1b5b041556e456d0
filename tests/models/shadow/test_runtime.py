"""Shadow traffic through the real gateway, with the openai SDK and two simulator upstreams.

A sample of the workload's calls to A is sent to B in the background: the caller's answer is A's, the
request log's latency of the primary is A's even when B is slower, an overflow past `max_in_flight` is
dropped and counted in /metrics and on the run, and each pair is stored as measures (no content).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa

from rungway.domain.keys import Role
from tests.api.http import call
from tests.models.shadow.support import metrics, runtime, settle, start_gateway, start_run, summary
from tests.servers import Gateway


def _results(gw: Gateway, run_id: str) -> list[sa.Row[tuple[object, ...]]]:
    with gw.state.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT * FROM model_shadow_results WHERE run_id = :r"), {"r": run_id}))


def test_sampled_calls_are_shadowed_and_the_caller_gets_as_answer_and_latency(
    store_url: str, gateway_factory: Callable[..., Gateway]
) -> None:
    gw = start_gateway(gateway_factory, store_url, b_latency=400)
    run = start_run(gw, to="gpt-4o", sample=0.5, max_in_flight=1000)
    client = gw.sdk()
    answers = []
    for i in range(120):
        answer = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"question {i}"}]
        )
        answers.append(answer)
    settle(gw)
    assert all(a.model == "gpt-4o-mini-2024-07-18" for a in answers)  # A's upstream model, never B's
    rows = _results(gw, run["id"])
    assert 35 <= len(rows) <= 85  # 120 calls at 0.5: 60 expected, ~5 sigma either side
    with gw.state.engine.connect() as conn:
        latency = dict(conn.execute(sa.text("SELECT id, latency_ms FROM requests")).all())
    assert len(latency) == 120
    for row in rows:
        assert row.b_error is None and row.b_latency_ms > 350  # B is slow (400 ms) ...
        assert latency[row.request_id] < row.b_latency_ms  # ... and the primary was not kept waiting for it
        assert not row.exact_match and 0 <= row.token_f1 < 1  # gpt-4o's answers differ from A's
        assert row.b_cost_nano > row.a_cost_nano > 0 and row.b_priced
    columns = set(rows[0]._mapping)
    assert not columns & {"prompt", "answer", "content", "messages", "output"}  # measures only


def test_overflow_past_max_in_flight_is_dropped_and_counted(gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory, b_latency=3000)
    run = start_run(gw, max_in_flight=1)
    client = gw.sdk()
    for i in range(5):  # A answers at once; B's first call holds the only slot for 3 s
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
    text = metrics(gw)
    assert re.search(r'rungway_shadow_calls_total\{outcome="dropped",workload="test"\} 4\.0', text), text
    assert re.search(r'rungway_shadow_calls_total\{outcome="sent",workload="test"\} 1\.0', text)
    settle(gw)
    runtime(gw).book.load()  # the book adds the drops to the run's row at each load (every `shadow.refresh`)
    assert summary(gw, run["id"])["dropped"] == 4
    assert len(_results(gw, run["id"])) == 1


def test_streams_tools_and_json_are_shadowed_and_compared(gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory)
    run = start_run(gw)  # to `mirror`: the same upstream model on another provider answers exactly as A
    client = gw.sdk()
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "stream me"}], stream=True
    )
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert streamed
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "as json"}],
        response_format={"type": "json_object"},
    )
    weather = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}], tools=[weather]
    )
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "not A"}])  # not shadowed
    settle(gw)
    rows = sorted(_results(gw, run["id"]), key=lambda r: r.ts)
    assert [r.stream for r in rows] == [True, False, False]
    assert all(r.exact_match and r.token_f1 == 1.0 and r.rouge_l == 1.0 and r.b_error is None for r in rows)
    assert [r.json_valid for r in rows] == [None, True, None]
    assert [r.tool_names_equal for r in rows] == [None, None, True]
    assert rows[0].b_tokens_out == rows[0].a_tokens_out > 0


def test_the_summary_reports_planted_differences(gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory, b_latency=30)
    client = gw.sdk()
    runs = {}
    for target in ("mirror", "gpt-4o", "flaky"):
        runs[target] = start_run(gw, to=target, max_in_flight=100)["id"]
        for i in range(16):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"{target} {i}"}])
        settle(gw)
    mirror, upgrade, flaky = (summary(gw, runs[t]) for t in ("mirror", "gpt-4o", "flaky"))
    assert mirror["pairs"] == 16 and mirror["b_errors"] == 0 and mirror["exact_match_rate"] == 1.0
    assert mirror["latency_ms"]["b_lower"] == 0 and mirror["latency_ms"]["significant"]  # B always slower
    assert abs(mirror["latency_ms"]["p_value"] - 2 / 2**16) < 1e-12  # the exact sign test: 16 of 16 one way
    assert mirror["cost_usd"]["change_mean"] == 0 and mirror["cost_usd"]["p_value"] is None
    assert upgrade["exact_match_rate"] == 0.0 and upgrade["token_f1"]["mean"] < 0.9
    assert upgrade["cost_usd"]["change_mean"] > 1 and upgrade["cost_usd"]["significant"]  # gpt-4o costs more
    assert 0 < flaky["b_errors"] < 16 and flaky["b_error_rate"] == flaky["b_errors"] / 16
    assert mirror["run"]["active"] is False and mirror["run"]["stopped_at"] is not None  # the next start stopped it
    assert flaky["run"]["active"] is True  # the last one runs on


def test_api_scoping_and_bad_input(store_url: str, gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory, store_url)
    developer = gw.create_key("test").secret
    admin_test = gw.create_key("test", role=Role.ADMIN).secret
    admin_other = gw.create_key("other", role=Role.ADMIN).secret
    body = {"action": "start", "from": "gpt-4o-mini", "to": "mirror", "sample": 0.1}
    assert call(gw, "POST", "/api/models/shadow", developer, body)[0] == 403
    status, mine = call(gw, "POST", "/api/models/shadow", admin_test, body)
    assert status == 200 and mine["workload"] == "test" and mine["active"] is True
    assert call(gw, "POST", "/api/models/shadow", admin_test, {**body, "workload": "other"})[0] == 404
    status, theirs = call(gw, "POST", "/api/models/shadow", admin_other, body)
    assert status == 200 and theirs["workload"] == "other"
    assert call(gw, "GET", f"/api/models/shadow/{theirs['id']}", developer)[0] == 404
    assert call(gw, "GET", "/api/models/shadow/shr_missing", developer)[0] == 404
    assert call(gw, "GET", f"/api/models/shadow/{mine['id']}", developer)[0] == 200
    assert call(gw, "GET", f"/api/models/shadow/{theirs['id']}")[0] == 200  # the server's admin key
    listed = call(gw, "GET", "/api/models/shadow", developer)[1]["data"]
    assert [r["id"] for r in listed] == [mine["id"]]
    assert call(gw, "GET", "/api/models/shadow?workload=other", developer)[0] == 404
    assert len(call(gw, "GET", "/api/models/shadow")[1]["data"]) == 2
    for bad, param in (
        ({**body, "sample": 0}, "sample"),
        ({**body, "sample": 1.5}, "sample"),
        ({**body, "to": "nope"}, "to"),
        ({**body, "to": "gpt-4o-mini"}, "to"),
        ({**body, "duration": "forever"}, "duration"),
        ({**body, "duration": "1h", "ends_at": "2030-01-01"}, "ends_at"),
        ({**body, "ends_at": "2001-01-01"}, "ends_at"),
        ({**body, "max_in_flight": 0}, "max_in_flight"),
        ({**body, "extra": 1}, "extra"),
        ({"action": "start", "to": "mirror", "sample": 0.1}, "from"),
    ):
        status, error = call(gw, "POST", "/api/models/shadow", admin_test, bad)
        assert status == 400 and error["error"]["param"] == param, (bad, error)
    assert call(gw, "POST", "/api/models/shadow", None, {**body, "workload": "test"})[0] == 401
    assert call(gw, "POST", "/api/models/shadow", "admin-secret", body)[0] == 400  # the admin key names a workload
    status, stopped = call(gw, "POST", "/api/models/shadow", admin_test, {"action": "stop"})
    assert status == 200 and stopped["stopped"] == [mine["id"]]
    assert call(gw, "GET", f"/api/models/shadow/{mine['id']}", developer)[1]["run"]["active"] is False
    assert call(gw, "POST", "/api/models/shadow", admin_test, {"action": "stop"})[1]["stopped"] == []


def test_a_configured_target_seeds_one_run_that_stays_stopped(
    gateway_factory: Callable[..., Gateway], sqlite_url: str
) -> None:
    extra = "shadow:\n  workloads:\n    test: {from: gpt-4o-mini, to: mirror, sample: 1.0, max_in_flight: 2}\n"
    gw = start_gateway(gateway_factory, sqlite_url, extra=extra)
    runs = call(gw, "GET", "/api/models/shadow")[1]["data"]
    assert len(runs) == 1 and runs[0]["source"] == "config" and runs[0]["active"] and runs[0]["max_in_flight"] == 2
    gw.sdk().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    settle(gw)
    assert summary(gw, runs[0]["id"])["pairs"] == 1
    call(gw, "POST", "/api/models/shadow", "admin-secret", {"action": "stop", "workload": "test"})
    again = start_gateway(gateway_factory, sqlite_url, extra=extra)  # a restart, or a second replica
    runs = call(again, "GET", "/api/models/shadow")[1]["data"]
    assert len(runs) == 1 and runs[0]["active"] is False  # not seeded again: the API's stop wins


def test_a_shadow_call_past_the_timeout_is_bs_error(gateway_factory: Callable[..., Gateway]) -> None:
    gw = start_gateway(gateway_factory, b_latency=3000, extra="shadow:\n  timeout: 0.2s\n")
    run = start_run(gw, max_in_flight=10)
    client = gw.sdk()
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "json"}])
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "stream"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    settle(gw)
    rows = _results(gw, run["id"])
    assert len(rows) == 2 and all(r.b_error.startswith("timeout") and r.b_latency_ms is None for r in rows)
    assert all(r.exact_match is None and r.b_cost_nano == 0 for r in rows)
    body = summary(gw, run["id"])
    assert body["b_errors"] == 2 and body["b_error_rate"] == 1.0 and body["latency_ms"]["pairs"] == 0
