"""Capture over real HTTP: API and dashboard changes become records with caller, route, object, request,
before and after (secrets never stored), refused requests are recorded, 401 floods are counted once a minute
per source, and reads are not recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from rungway.audit.capture import Capture, FloodGate
from rungway.audit.config import AuditSettings
from rungway.audit.service import verify_store
from rungway.audit.store import audit_records, list_records
from rungway.domain.keys import Role
from tests.api.http import call
from tests.audit.support import open_store
from tests.servers import Gateway
from tests.web.support import UiClient


def _rows(gw: Gateway) -> list[dict[str, object]]:
    with gw.state.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(audit_records).order_by(audit_records.c.seq))]


def test_api_changes_are_recorded_with_before_and_after_and_no_secret(gateway: Gateway) -> None:
    status, created = call(gateway, "POST", "/api/keys", body={"workload": "test", "name": "ci", "owner": "ann"})
    assert status == 201
    key_id, secret = created["key"]["id"], created["secret"]
    assert call(gateway, "PATCH", f"/api/keys/{key_id}", body={"rpm_limit": 60})[0] == 200
    assert call(gateway, "POST", f"/api/keys/{key_id}/revoke")[0] == 200
    assert call(gateway, "GET", "/api/keys")[0] == 200  # a read: not recorded
    rows = _rows(gateway)
    assert [r["action"] for r in rows] == ["POST /api/keys", "PATCH /api/keys/{key_id}",
                                           "POST /api/keys/{key_id}/revoke"]  # fmt: skip
    assert all(r["actor"] == "admin" and r["via"] == "api" and r["workload"] == "test" for r in rows)
    assert [r["object_id"] for r in rows] == [key_id] * 3 and rows[0]["object_type"] == "keys"
    assert [r["status"] for r in rows] == [201, 200, 200]
    assert json.loads(str(rows[0]["after"]))["secret"] == "[redacted]"
    assert json.loads(str(rows[1]["before"]))["rpm_limit"] is None
    assert json.loads(str(rows[1]["after"]))["rpm_limit"] == 60 and json.loads(str(rows[1]["request"])) == {
        "rpm_limit": 60}  # fmt: skip
    assert json.loads(str(rows[2]["before"]))["status"] == "active"
    assert not any(secret in json.dumps(r) for r in rows)
    assert verify_store(gateway.state.engine, None, None).intact


def test_refused_changes_name_who_tried_and_401s_are_counted(gateway: Gateway) -> None:
    viewer = gateway.create_key("test", role=Role.VIEWER, owner="bob").secret
    assert call(gateway, "PATCH", "/api/workloads/test", viewer, {"rpm": 5})[0] == 403
    minute = int(time.time() // 60)
    for _ in range(5):
        assert call(gateway, "POST", "/api/keys", "rw-not-a-key", {"workload": "test"})[0] == 401
    minutes = 1 + (int(time.time() // 60) != minute)
    rows = _rows(gateway)
    refused = [r for r in rows if r["status"] == 403]
    assert [(r["actor"], r["action"], r["workload"]) for r in refused] == [("bob", "PATCH /api/workloads/{name}",
                                                                            "test")]  # fmt: skip
    unauthenticated = [r for r in rows if r["status"] == 401]
    assert len(unauthenticated) == minutes and str(unauthenticated[0]["actor"]).startswith("unauthenticated@")


def test_floods_are_summed_into_one_record_per_source_and_minute(sqlite_url: str) -> None:
    gate = FloodGate()
    assert gate.first("1.2.3.4", 60.0) and not gate.first("1.2.3.4", 61.0) and not gate.first("1.2.3.4", 119.0)
    assert gate.first("5.6.7.8", 61.0) and gate.first("1.2.3.4", 120.0)
    assert gate.closed(121.0) == [("1.2.3.4", 1, 2)]  # 5.6.7.8 tried once: already recorded
    capture = Capture(open_store(sqlite_url), AuditSettings(), gate)
    for _ in range(3):
        gate.first("9.9.9.9", 180.0)
    assert capture.flush_refusals(300.0) == 1
    (summary,) = list_records(capture.engine, action="auth.refused")
    assert summary.actor == "unauthenticated@9.9.9.9" and json.loads(summary.after or "")["refused"] == 2


@pytest.fixture
def ui(ui_client: Callable[[Gateway], UiClient], gateway: Gateway) -> UiClient:
    return ui_client(gateway)


def test_dashboard_sign_ins_and_form_changes_are_recorded(gateway: Gateway, ui: UiClient) -> None:
    admin = gateway.create_key("test", role=Role.ADMIN, owner="carol")
    assert ui.sign_in("rw-wrong").status_code == 401
    assert ui.sign_in(admin.secret).status_code == 303
    target = gateway.create_key("test", name="old")
    assert ui.post(f"/ui/keys/{target.key.id}/revoke").status_code == 303
    rows = _rows(gateway)
    assert [(r["action"], r["status"], r["via"]) for r in rows] == [
        ("ui.signin", 401, "ui"), ("ui.signin", 303, "ui"), ("POST /ui/keys/{key_id}/revoke", 303, "ui")]  # fmt: skip
    assert rows[1]["actor"] == rows[2]["actor"] == "carol" and rows[2]["object_id"] == target.key.id
    assert admin.secret not in json.dumps(rows) and "[redacted]" in str(rows[1]["request"])
