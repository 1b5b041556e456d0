"""The Maturity pages over plain HTTP: each workload's stage as the API assessed it, items with verdicts and
evidence linked to the calls and traces behind them, attested items marked, claimed against evidenced,
history with drift, targets by risk tier, and the API's workload scope."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable

import pytest

from rungway.assessment.model_file import load_model
from rungway.assessment.pages.maturity import evidence_rows, item_links
from rungway.assessment.store import insert_assessments, latest_assessments
from rungway.domain.keys import Role
from tests.assessment.helpers import ASSESS_CONFIG, api, assess, attest, chat
from tests.servers import Gateway
from tests.web.support import UiClient


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway]) -> Gateway:
    return gateway_factory(ASSESS_CONFIG)


def test_a_workload_item_by_item_with_evidence_links_attestations_claims_and_drift(
    gw: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    secret = gw.create_key("good").secret
    chat(gw, secret, "floating-model", 2, user="ana")
    assert attest(gw, "on_call_rotation", "good")[0] == 201
    assert api(gw, "PUT", "/api/assessment/claims/good", {"stage": 4})[0] == 200
    first = assess(gw)["good"]
    chat(gw, secret, "floating-model", 2)  # calls without a user: attribution falls, the item regresses
    second = assess(gw)["good"]
    assert second["drift"] is not None and "user_cost_attribution" in second["drift"]["regressed_items"]
    admin = ui_client(gw)
    admin.sign_in("admin-secret")

    listing = admin.get("/ui/maturity").text
    stage = re.search(r'id="stage-good">(\d+) · ', listing)
    assert stage is not None and int(stage.group(1)) == second["stage"]
    assert "claims 4" in listing and "drift" in listing
    assert "customer-facing" in listing and "regulated" in listing  # targets by risk tier

    page = admin.get("/ui/maturity/good")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    model = load_model()
    for item in second["items"]:
        assert f'id="item-{item["item"]}"' in text
    assert text.count("attested item") == sum(1 for i in model.items if i.attested)
    assert "attested by ann" in text and 'href="https://wiki.example/runbook"' in text
    assert 'href="/ui/requests?workload=good&model=gpt-4o-mini&since=30d"' in text  # the unpinned model's calls
    assert 'href="/ui/traces?workload=good&since=30d"' in text  # the traces behind detailed traces
    assert "over-claim" in text and 'id="drift"' in text and "user_cost_attribution" in text
    assert text.count("<tr>") >= len(second["items"]) + 2  # the items and both assessments in the history
    assert first["stage"] >= second["stage"]

    viewer = ui_client(gw)
    viewer.sign_in(gw.create_key("weak", role=Role.VIEWER).secret)
    assert 'id="stage-good"' not in viewer.get("/ui/maturity").text
    assert viewer.get("/ui/maturity/good").status_code == 403
    assert viewer.get("/ui/maturity/weak").status_code == 200  # assessed in the same run
    assert viewer.get(f"/ui/maturity/{'x' * 300}").status_code == 400
    assert admin.get("/ui/maturity/nobody").status_code == 404


def test_evidence_names_link_to_the_pages_that_show_them() -> None:
    evidence = {
        "calls": 3,
        "unpinned_models": {"gpt-4o-mini": 4},
        "unpriced_models": ["house"],
        "keys_used": ["key_1"],
        "workload_hard_budgets": ["bud_1"],
        "errors": 2,
        "sample_trace": "0" * 32,
        "link": "javascript:alert(1)",
    }
    rows = {r.name: r for r in evidence_rows("w", evidence, "30d", admin=True)}
    assert rows["calls"].href is None
    assert rows["unpinned models"].href == "/ui/requests?workload=w&model=gpt-4o-mini&since=30d"
    assert rows["unpinned models"].value == "gpt-4o-mini (4 calls)"
    assert rows["unpriced models"].href == "/ui/requests?workload=w&model=house&since=30d"
    assert rows["keys used"].href == "/ui/keys?workload=w"
    assert rows["workload hard budgets"].href == "/ui/cost?workload=w#budgets"
    assert rows["errors"].href == "/ui/requests?workload=w&errors=true&since=30d"
    assert rows["sample trace"].href == f"/ui/traces/{'0' * 32}"
    assert rows["link"].href is None  # only http(s) links are followed
    assert {r.name: r for r in evidence_rows("w", evidence, "30d", admin=False)}["keys used"].href is None
    on_call = load_model().item("on_call_rotation")
    assert item_links("w", on_call) == []
    assert item_links("w", load_model().item("detailed_traces"))[1] == ("traces", "/ui/traces?workload=w&since=30d")


def test_an_items_source_and_a_lowered_threshold_show_when_the_report_has_them(
    gw: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    chat(gw, gw.create_key("good").secret, "pinned-model", 1)
    assess(gw)
    (stored,) = latest_assessments(gw.state.engine, ["good"]).values()
    items = [
        {**item, "source": "imported", "threshold_lowered": "organisation threshold 50% (model: 100%)"}
        if item["item"] == "basic_logging"
        else {**item, "source": "evidenced" if item["item"] != "authentication" else "none"}
        for item in stored.report["items"]
    ]
    later = dataclasses.replace(
        stored, id="asm_later", assessed_at=stored.assessed_at + 60, report={**stored.report, "items": items}
    )
    insert_assessments(gw.state.engine, [later])
    admin = ui_client(gw)
    admin.sign_in("admin-secret")
    text = html.unescape(admin.get("/ui/maturity/good").text)
    logging_row = text.split('id="item-basic_logging"', 1)[1].split("</tr>", 1)[0]
    assert "imported" in logging_row and "threshold lowered" in logging_row and "model: 100%" in logging_row
    assert text.count(">evidenced<") == len(items) - 2  # "none" (nothing backs the item) shows no badge
