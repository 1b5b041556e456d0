"""The pins and upgrade pages over plain HTTP against a real gateway: scoped to the workload (another
workload's report is a 404 page), the forms with the API's role rules, a failing report refused with the
gate's reasons (the browser flow is in tests/web/test_browser_models.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from rungway.models.pins.config import UpgradeGate
from rungway.models.pins.service import PINS
from rungway.models.upgrades.model import CallDelta, DatasetRuns, ScorerDelta, UpgradeReport
from rungway.models.upgrades.store import insert_report
from tests.models.pins.support import CONFIG
from tests.servers import Gateway
from tests.web.support import UiClient


def seed_report(gw: Gateway, workload: str, passed: bool) -> str:
    """A stored report moving `gpt-4o-latest` from its seed to gpt-4o-2024-11-20 (passing or regressing)."""
    verdict = "no_difference" if passed else "regression"
    runs = (DatasetRuns("faq", "run_a", "run_b", 12, 1.0, 1.0 if passed else 0.0),)
    scorers = (ScorerDelta("faq", "brief", 12, 1.0, 1.0 if passed else 0.0, 1.0, 1.0 if passed else 0.0,
                           1.0 if passed else 0.001, verdict),)  # fmt: skip
    report = UpgradeReport(new_id("upg_"), workload, "gpt-4o-latest", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20", runs,
                           scorers, CallDelta(12, 0.001, 0.001), CallDelta(12, 100.0, 90.0), UpgradeGate(), passed,
                           ("within the gate",) if passed else ("1 scorers regressed significantly",), "ana",
                           time.time())  # fmt: skip
    insert_report(gw.state.engine, report)
    return report.id


def _signed_in(ui_client: Callable[..., UiClient], gw: Gateway, secret: str) -> UiClient:
    client = ui_client(gw)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_page_is_scoped_and_its_forms_follow_the_api_rules(
    gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gw = gateway_factory(CONFIG)
    mine, theirs = seed_report(gw, "test", passed=True), seed_report(gw, "other", passed=False)
    ana = _signed_in(ui_client, gw, gw.create_key("test", owner="ana").secret)
    page = ana.get("/ui/models/pins")
    assert page.status_code == 200 and "gpt-4o-2024-08-06" in page.text and mine in page.text
    assert theirs not in page.text
    assert ana.get(f"/ui/models/upgrades/{theirs}").status_code == 404
    assert ana.get("/ui/models/pins?workload=other").status_code == 404
    report = ana.get(f"/ui/models/upgrades/{mine}")
    assert report.status_code == 200 and "Apply: pin gpt-4o-latest to gpt-4o-2024-11-20" in report.text

    done = ana.post("/ui/models/pins/set", {"alias": "mini", "snapshot": "gpt-4o-mini-2024-07-18", "reason": "pin"})
    assert done.status_code == 303
    assert ana.post(f"/ui/models/upgrades/{mine}/apply").status_code == 303
    assert gw.state.slots[PINS].book.pin("test", "gpt-4o-latest") == "gpt-4o-2024-11-20"
    page = ana.get("/ui/models/pins").text
    assert "gpt-4o-mini-2024-07-18" in page and "gpt-4o-2024-11-20" in page and "apply" in page
    assert ana.post("/ui/models/pins/rollback", {"alias": "gpt-4o-latest"}).status_code == 303

    viewer = _signed_in(ui_client, gw, gw.create_key("test", role=Role.VIEWER).secret)
    assert "Set pin" not in viewer.get("/ui/models/pins").text
    assert viewer.post("/ui/models/pins/set", {"alias": "a", "snapshot": "b", "reason": "c"}).status_code == 403


def test_a_failing_report_is_refused_with_the_gates_reasons(
    gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gw = gateway_factory(CONFIG)
    failing = seed_report(gw, "test", passed=False)
    ana = _signed_in(ui_client, gw, gw.create_key("test", owner="ana").secret)
    assert "Apply:" not in ana.get(f"/ui/models/upgrades/{failing}").text
    refused = ana.post(f"/ui/models/upgrades/{failing}/apply")
    assert refused.status_code == 409 and "regressed significantly" in refused.text
