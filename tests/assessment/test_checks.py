"""The core's evidence checks (assessment/checks.py) from evidence planted through the gateway, the API and the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import openai
import pytest
from sqlalchemy import inspect

from rungway.domain.keys import Role
from rungway.domain.records import RequestRecord
from rungway.services.keys import CreatedKey
from rungway.store.requests import insert_requests
from tests.assessment.helpers import ASSESS_CONFIG, api, assess, attest, chat, run_cli, verdicts
from tests.servers import Gateway

NOT_YET_FEATURES = ["pre_deployment_tests", "curated_eval_set", "eval_on_prompt_change",
                    "basic_red_teaming"]  # fmt: skip


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(ASSESS_CONFIG, store_url=store_url)


CORE_ITEMS = ("authentication", "authorisation", "rate_limiting", "error_handling", "basic_logging",
              "user_cost_attribution", "model_pinning")  # fmt: skip


def strict_key(gw: Gateway, workload: str, **kwargs: Any) -> CreatedKey:
    """A key as a disciplined team makes it: below admin, a model allow-list and a rate limit."""
    models = ("pinned-model", "marked-pinned", "floating-model", "unpriced-model")
    return gw.create_key(workload, role=Role.VIEWER, allowed_models=models, rpm_limit=600, **kwargs)


def test_disciplined_workload_meets_every_core_item(gw: Gateway) -> None:
    key = strict_key(gw, "good")
    chat(gw, key.secret, "pinned-model", 6, user="u1")
    chat(gw, key.secret, "marked-pinned", 4, user="u2")
    assert api(gw, "GET", "/api/logs", workload="good")[0] == 200  # someone reads the log
    report = assess(gw, "good")["good"]
    v = verdicts(report)
    for item in CORE_ITEMS:
        assert v[item] == "met", (item, report)
    for item in NOT_YET_FEATURES:
        assert v[item] == "not_assessable"
    assert v["slos"] == "unmet"  # traffic, but no SLO declared (tests/slos/test_checks.py has the others)
    # each call went to its model's one deployment; not assessable on a request log without routing columns
    logged = {c["name"] for c in inspect(gw.state.engine).get_columns("requests")}
    assert v["multi_model_routing"] == ("unmet" if "route_rule" in logged else "not_assessable")
    assert v["prompt_library"] == "unmet"  # every chat call sent its prompt inline, none from the library
    assert v["content_filtering"] == "unmet"  # traffic, and no guardrails policy in force
    items = {r["item"]: r for r in report["items"]}
    assert items["user_cost_attribution"]["evidence"]["end_user_pct"] == 100.0
    assert items["basic_logging"]["evidence"]["log_reads"] == {"logs": 1}
    assert items["model_pinning"]["evidence"]["pinned_calls"] == 10


def test_key_owner_is_not_an_end_user_and_both_shares_are_shown(gw: Gateway) -> None:
    service = strict_key(gw, "good", owner="svc-batch")  # a service account: every call carries it
    chat(gw, service.secret, "pinned-model", 3)
    chat(gw, service.secret, "pinned-model", 1, user="end-user-7")
    items = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}
    attribution = items["user_cost_attribution"]
    assert attribution["verdict"] == "partial"
    assert attribution["evidence"]["end_user_pct"] == 25.0
    assert attribution["evidence"]["key_owner_only_pct"] == 75.0
    assert "not an end user" in attribution["reason"]


def test_logs_stored_but_never_read_are_only_partial(gw: Gateway) -> None:
    key = strict_key(gw, "good")
    chat(gw, key.secret, "pinned-model", 2, user="u1")
    items = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}
    assert items["basic_logging"]["verdict"] == "partial" and "nobody read" in items["basic_logging"]["reason"]
    # A read through the CLI counts like one through the API.
    done = run_cli(gw, ["logs", "query", "--workload", "good", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert verdicts(assess(gw, "good")["good"])["basic_logging"] == "met"


def test_pin_declared_in_config_afterwards_does_not_rewrite_the_past_window(
    gw: Gateway, gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    key = strict_key(gw, "good")
    chat(gw, key.secret, "floating-model", 3, user="u1")
    before = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}["model_pinning"]
    assert before["verdict"] == "unmet" and before["evidence"]["unpinned_models"] == {"gpt-4o-mini": 3}
    gw.flush()
    # The same store served by a gateway whose config now declares the floating model pinned.
    rewritten = ASSESS_CONFIG.replace("    model: gpt-4o-mini\n", "    model: gpt-4o-mini\n    pinned: true\n")
    assert rewritten != ASSESS_CONFIG
    later = gateway_factory(rewritten, store_url=store_url)
    after = {r["item"]: r for r in assess(later, "good")["good"]["items"]}["model_pinning"]
    assert after["verdict"] == "unmet" and after["evidence"]["unpinned_models"] == {"gpt-4o-mini": 3}
    chat(later, key.secret, "floating-model", 3, user="u1")  # calls made under the new pin count as pinned
    now_half = {r["item"]: r for r in assess(later, "good")["good"]["items"]}["model_pinning"]
    assert now_half["verdict"] == "partial" and now_half["evidence"]["pinned_calls"] == 3


def test_undisciplined_workload_gets_unmet_and_partial_verdicts_with_evidence(gw: Gateway) -> None:
    key = gw.create_key("weak")  # developer role, any model, no limit, no owner
    chat(gw, key.secret, "floating-model", 3)
    chat(gw, key.secret, "unpriced-model", 1)
    chat(gw, key.secret, "pinned-model", 1)
    reports = assess(gw)
    v = verdicts(reports["weak"])
    items = {r["item"]: r for r in reports["weak"]["items"]}
    assert v["authentication"] == "met" and v["error_handling"] == "met"
    assert v["authorisation"] == "unmet" and items["authorisation"]["evidence"]["keys_without_allow_list"]
    assert v["rate_limiting"] == "unmet" and items["rate_limiting"]["evidence"]["keys_without_limit"] == [key.key.id]
    assert v["basic_logging"] == "partial"
    assert v["user_cost_attribution"] == "unmet"
    assert v["model_pinning"] == "partial"
    assert items["model_pinning"]["evidence"]["unpinned_models"] == {"gpt-4o-mini": 3, "my-private-model": 1}
    assert v["on_call_rotation"] == "unmet"
    assert reports["weak"]["target_stage"] == 4
    idle = verdicts(reports["idle"])
    assert idle["authentication"] == idle["basic_logging"] == "unmet"


def test_workload_rate_limit_binds_every_key_and_429s_show_enforcement(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    limited = ASSESS_CONFIG.replace(
        "  idle:\n    risk_tier: internal\n", "  idle:\n    risk_tier: internal\n    rpm: 2\n"
    )
    gw = gateway_factory(limited, store_url=store_url)
    key = gw.create_key("idle")
    chat(gw, key.secret, "pinned-model", 2)
    with pytest.raises(openai.RateLimitError):
        chat(gw, key.secret, "pinned-model", 1)
    items = {r["item"]: r for r in assess(gw, "idle")["idle"]["items"]}
    assert items["rate_limiting"]["verdict"] == "met"
    assert items["rate_limiting"]["evidence"]["workload_limit"] is True
    assert items["rate_limiting"]["evidence"]["refused_with_429"] == 1


def test_error_handling_counts_clean_upstream_failures_and_flags_unhandled_500s(gw: Gateway) -> None:
    key = strict_key(gw, "good")
    client = openai.OpenAI(base_url=gw.openai_base, api_key=key.secret, max_retries=0)
    chat(gw, key.secret, "pinned-model", 19, user="u1")
    with pytest.raises(openai.APIStatusError) as failed:
        client.chat.completions.create(
            model="pinned-model",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"x-simulator-error": "503"},
        )
    assert failed.value.status_code == 502  # the provider's failure reached the caller as a clean error
    items = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}
    assert items["error_handling"]["verdict"] == "met"
    assert items["error_handling"]["evidence"]["upstream_failures"] == 1
    gw.flush()
    now = time.time()
    insert_requests(gw.state.engine, [RequestRecord(id="req_unhandled", ts_start=now - 1, ts_end=now - 1,
                                                    workload="good", key_id=key.key.id, user="u1", team=None,
                                                    status=500, error_type="internal_error")])  # fmt: skip
    handled = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}["error_handling"]
    assert handled["verdict"] == "partial" and handled["evidence"]["unhandled_500s"] == 1


def test_admin_key_serving_traffic_is_only_partial_authentication(gw: Gateway) -> None:
    from rungway.domain.keys import Role

    key = gw.create_key("good", role=Role.ADMIN)
    chat(gw, key.secret, "pinned-model", 2, user="u1")
    items = {r["item"]: r for r in assess(gw, "good")["good"]["items"]}
    assert items["authentication"]["verdict"] == "partial"
    assert items["authentication"]["evidence"]["admin_keys_used"] == [key.key.id]


def test_regression_between_two_assessments_is_flagged_as_drift(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 4, user="u1")
    first = assess(gw, "good")["good"]
    assert verdicts(first)["user_cost_attribution"] == "met" and first["drift"] is None
    chat(gw, key.secret, "pinned-model", 4)  # the app stopped sending the user
    second = assess(gw, "good")["good"]
    assert verdicts(second)["user_cost_attribution"] == "partial"
    assert second["drift"]["regressed_items"] == ["user_cost_attribution"]
    history = api(gw, "GET", "/api/assessments", workload="good")[1]["data"]
    assert [h["drift"] is not None for h in history] == [False, True]


def test_attestation_of_an_evidenced_item_or_without_a_link_is_refused(gw: Gateway) -> None:
    gw.create_key("good")
    status, refused = attest(gw, "detailed_traces", "good")
    assert status == 400 and "evidenced" in refused["error"]["message"]
    body = {"item": "on_call_rotation", "workload": "good", "by": "ann", "link": "wiki/runbook"}
    assert api(gw, "POST", "/api/assessment/attestations", body)[0] == 400


def test_non_admin_key_sees_only_its_own_workload(gw: Gateway) -> None:
    from rungway.domain.keys import Role

    viewer = gw.create_key("weak", role=Role.VIEWER)
    assert api(gw, "POST", "/api/assessments", key=viewer.secret)[0] == 403  # viewers read, they do not run
    dev = gw.create_key("weak", role=Role.DEVELOPER)
    assert api(gw, "POST", "/api/assessments", key=dev.secret, workload="good")[0] == 403
    status, mine = api(gw, "POST", "/api/assessments", key=dev.secret)
    assert status == 200 and [w["workload"] for w in mine["workloads"]] == ["weak"]


def test_a_default_key_limit_in_the_config_binds_every_key_without_its_own(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    limited = ASSESS_CONFIG.replace("models:\n", "limits:\n  key_rpm: 1000\nmodels:\n", 1)
    gw = gateway_factory(limited, store_url=store_url)
    key = gw.create_key("weak")  # no limit of its own
    chat(gw, key.secret, "pinned-model", 2)
    item = {r["item"]: r for r in assess(gw, "weak")["weak"]["items"]}["rate_limiting"]
    assert item["verdict"] == "met" and item["evidence"]["default_key_limit"] is True
