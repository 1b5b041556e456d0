"""Budgets and their events are scoped like the request log, and webhook URLs are never shown whole."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner

from rungway.budgets.model import Budget
from rungway.budgets.service import BudgetRequest, set_budget
from rungway.budgets.store import BudgetEvent, insert_events
from rungway.cli.main import cli
from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from tests.api.http import call
from tests.budgets.support import config_text, open_store
from tests.servers import Gateway

SECRET_PATH = "services/T000/B000/s3cr3t-token"
WEBHOOK = f"https://hooks.example:8443/{SECRET_PATH}?token=also-secret"


def _get(base_url: str, path: str, secret: str) -> tuple[int, Any]:
    request = urllib.request.Request(base_url + path, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _budgets(engine: Any, own_key_id: str, other_key_id: str) -> dict[str, Budget]:
    made = {}
    for name, scope, targets in (
        ("test-wl", "workload", {"workload": "test"}),
        ("test-ann", "user", {"workload": "test", "user": "ann"}),
        ("test-key", "key", {"key_id": own_key_id}),
        ("limited-wl", "workload", {"workload": "limited"}),
        ("limited-ann", "user", {"workload": "limited", "user": "ann"}),
        ("limited-key", "key", {"key_id": other_key_id}),
        ("qa-team", "team", {"team": "qa"}),
    ):
        request = BudgetRequest(name=name, scope=scope, amount_usd="5", webhook_url=WEBHOOK, **targets)
        made[name] = set_budget(engine, request)
    now = time.time()
    insert_events(
        engine,
        [
            BudgetEvent(
                id=new_id("bev_"),
                budget_id=b.id,
                ts=now,
                kind="alert_failed",
                period_start=now - 1,
                threshold=50,
                message=f"POST {WEBHOOK}: HTTP 500",
            )
            for b in made.values()
        ],
    )
    return made


def test_a_workload_key_sees_only_its_own_workloads_budgets_and_events(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(config_text(latency_ms=0), store_url=store_url)
    viewer = gw.create_key("test", role=Role.VIEWER)
    other = gw.create_key("limited", role=Role.VIEWER)
    _budgets(open_store(store_url), viewer.key.id, other.key.id)
    own = {"test-wl", "test-ann", "test-key"}

    status, listed = _get(gw.base_url, "/api/budgets", viewer.secret)
    assert status == 200 and {b["name"] for b in listed["data"]} == own
    status, events = _get(gw.base_url, "/api/budget-events", viewer.secret)
    names = {b["id"]: b["name"] for b in listed["data"]}
    assert status == 200 and {names.get(e["budget_id"], e["budget_id"]) for e in events["data"]} == own
    for hidden in ("limited-wl", "limited-ann", "limited-key", "qa-team"):
        status, body = _get(gw.base_url, f"/api/budgets/{hidden}", viewer.secret)
        assert status == 404 and body["error"]["message"].startswith(f"no budget named '{hidden}'")
        status, body = _get(gw.base_url, f"/api/budget-events?budget={hidden}", viewer.secret)
        assert status == 404
    status, one = _get(gw.base_url, "/api/budgets/test-key", viewer.secret)
    assert status == 200 and one["name"] == "test-key"
    status, everything = _get(gw.base_url, "/api/budgets", "admin-secret")
    assert status == 200 and len(everything["data"]) == 7


def test_webhook_urls_are_masked_in_the_api_the_cli_and_event_messages(
    gateway_factory: Callable[..., Gateway], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = gateway_factory(config_text(latency_ms=0), store_url=sqlite_url)
    viewer = gw.create_key("test", role=Role.VIEWER)
    _budgets(open_store(sqlite_url), viewer.key.id, gw.create_key("limited").key.id)

    answers = [
        _get(gw.base_url, path, secret)
        for path in ("/api/budgets", "/api/budgets/test-wl", "/api/budget-events")
        for secret in ("admin-secret", viewer.secret)
    ]
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", sqlite_url)
    outputs = [
        CliRunner().invoke(cli, ["budgets", *args, "--format", "json"])
        for args in (["list"], ["status"], ["events"], ["status", "qa-team"])
    ]

    assert all(status == 200 for status, _ in answers)
    assert all(out.exit_code == 0 for out in outputs), [o.output for o in outputs]
    shown = json.dumps([body for _, body in answers]) + "".join(out.output for out in outputs)
    assert "s3cr3t" not in shown and "also-secret" not in shown
    assert "https://hooks.example:8443/\\u2026" in shown or "https://hooks.example:8443/…" in shown
    assert answers[2][1]["webhook_url"] == "https://hooks.example:8443/…"


def test_api_refuses_a_budget_for_a_missing_workload_or_key_with_a_400(gateway: Gateway) -> None:
    body = {"name": "b1", "scope": "workload", "workload": "nope", "amount_usd": "5"}
    status, answer = call(gateway, "PUT", "/api/budgets", body=body)
    assert status == 400, answer
    assert answer["error"]["param"] == "workload" and "POST /api/workloads" in answer["error"]["message"]
    key_body = {"name": "b2", "scope": "key", "key_id": "key_missing", "amount_usd": "5"}
    status, answer = call(gateway, "PUT", "/api/budgets", body=key_body)
    assert status == 400 and answer["error"]["param"] == "key_id", answer
    status, listed = call(gateway, "GET", "/api/budgets")
    assert status == 200 and listed["data"] == []
