"""The audit page over plain HTTP against a real gateway: an admin reads every record, the chain's state and the
holds, places and releases a hold with the forms (each on the record); a developer reads its own workload's
records only (a refused change without what it named) and cannot post the forms; bad forms are 400 pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rungway.audit.pages.views import HoldForm, hold_form
from rungway.audit.retention import list_holds
from rungway.audit.store import list_records
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from tests.api.http import call
from tests.audit.support import seed_changes
from tests.servers import Gateway
from tests.web.support import UiClient


def test_hold_form_accepts_a_workload_and_reason_only() -> None:
    assert hold_form({"workload": " claims ", "reason": " m 9 ", "csrf_token": "t"}, needs_reason=True) == HoldForm(
        "claims", "m 9"
    )
    assert hold_form({"workload": "*"}, needs_reason=False) == HoldForm("*", "")
    bad = [({"workload": "c"}, True), ({"workload": "", "reason": "r"}, True),
           ({"workload": "w" * 65, "reason": "r"}, True), ({"workload": "c", "reason": "r"}, False),
           ({"workload": "c", "reason": "r" * 501}, True), ({"workload": "c", "until": "x"}, False)]  # fmt: skip
    for form, needs in bad:
        with pytest.raises(InvalidRequest):
            hold_form(form, needs_reason=needs)


def test_an_admin_reads_checks_and_holds(gateway: Gateway, ui_client: Callable[[Gateway], UiClient]) -> None:
    seed_changes(gateway.state.engine, 3, workload="claims")
    seed_changes(gateway.state.engine, 2, workload="other")
    ui = ui_client(gateway)
    assert ui.sign_in("admin-secret").status_code == 303
    page = ui.get("/ui/audit").text
    assert 'id="chain"' in page and "intact" in page and page.count("keys.update") == 5
    assert ui.get("/ui/audit?workload=claims").text.count("keys.update") == 3
    placed = ui.post("/ui/audit/holds", {"workload": "claims", "reason": "matter 9"})
    assert placed.status_code == 303 and [h.workload for h in list_holds(gateway.state.engine)] == ["claims"]
    page = ui.get("/ui/audit").text
    assert "matter 9" in page and "Release the hold on claims" in page
    assert ui.post("/ui/audit/holds/release", {"workload": "claims"}).status_code == 303
    assert list_holds(gateway.state.engine) == []
    assert ui.post("/ui/audit/holds/release", {"workload": "claims"}).status_code == 404
    assert ui.post("/ui/audit/holds", {"workload": "claims"}).status_code == 400
    assert ui.post("/ui/audit/holds", {"workload": "claims", "reason": "r"}, csrf="").status_code == 403
    assert ui.get("/ui/audit?since=2y").status_code == 400
    done = [r.action for r in list_records(gateway.state.engine, action="POST /ui/audit/holds*") if r.status < 400]
    assert done == ["POST /ui/audit/holds/release", "POST /ui/audit/holds"]  # the forms are on the record


def test_a_developer_reads_only_its_workload(gateway: Gateway, ui_client: Callable[[Gateway], UiClient]) -> None:
    seed_changes(gateway.state.engine, 2, workload="claims")
    seed_changes(gateway.state.engine, 2, workload="other")
    developer = gateway.create_key("claims", role=Role.DEVELOPER).secret
    viewer = gateway.create_key("claims", role=Role.VIEWER).secret
    assert call(gateway, "PATCH", "/api/workloads/claims", viewer, {"rpm": 5})[0] == 403  # refused, on record
    ui = ui_client(gateway)
    assert ui.sign_in(developer).status_code == 303
    page = ui.get("/ui/audit?workload=other").text  # asking for another workload shows its own
    assert page.count("keys.update") == 2 and 'id="chain"' not in page and 'id="holds"' not in page
    refused = next(row for row in page.split("<tr>") if "PATCH /api/workloads/{name}" in row)
    assert "403" in refused and "Before and after" not in refused  # what a refused change named stays with admins
    assert ui.post("/ui/audit/holds", {"workload": "claims", "reason": "r"}).status_code == 403
