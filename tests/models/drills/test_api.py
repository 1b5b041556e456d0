"""`/api/drills`, `/api/incidents`, `/api/models/health` on a real gateway with the simulator.

A drill flips the simulator's fault switch for the deployment's model only; a non-simulator deployment
cannot be drilled unless `failover.drills.fault_switches` is true; drills are the admin's. Incidents
are read scoped to the caller's workload."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.domain.keys import Role
from rungway.models.incidents.store import IncidentRow, WorkloadRow, save_incident
from tests.api.http import ADMIN, call, chat
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

WITH_OPENAI = (
    SIMULATOR_CONFIG.replace(
        "models:\n",
        "  real:\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n    api_key: sk-test\nmodels:\n"
        "  real-model:\n    provider: real\n    model: gpt-4o-mini\n",
    )
    + "  other:\n    team: qa\n"
)


def _wait_finished(gw: Gateway, drill_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, drill = call(gw, "GET", f"/api/drills/{drill_id}")
        assert status == 200
        if drill["status"] != "running":
            return dict(drill)
        time.sleep(0.1)
    raise AssertionError("the drill did not finish")


def test_a_drill_faults_one_deployment_for_its_duration(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(WITH_OPENAI)
    key = gw.create_key().secret
    status, drill = call(gw, "POST", "/api/drills", body={"deployment": "gpt-4o-mini", "duration_s": 1.0})
    assert status == 201, drill
    assert drill["fault"] == "error" and drill["error_rate"] == 1.0 and drill["status"] == "running"
    assert chat(gw, key) >= 500  # the faulted deployment fails (no fallback on main's single route)
    assert chat(gw, key, model="gpt-4o") == 200  # another model of the same provider answers
    status, again = call(gw, "POST", "/api/drills", body={"deployment": "gpt-4o-mini", "duration_s": 1.0})
    assert status == 409, again
    finished = _wait_finished(gw, str(drill["id"]))
    assert finished["status"] == "finished" and finished["finished_at"]
    assert chat(gw, key) == 200  # the fault ended with the drill
    status, listed = call(gw, "GET", "/api/drills")
    assert status == 200 and [d["id"] for d in listed["drills"]] == [drill["id"]]


def test_drill_refusals(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(WITH_OPENAI)
    developer = gw.create_key(role=Role.DEVELOPER).secret
    status, _ = call(gw, "POST", "/api/drills", developer, {"deployment": "gpt-4o-mini", "duration_s": 1})
    assert status == 403
    status, err = call(gw, "POST", "/api/drills", body={"deployment": "real-model", "duration_s": 1})
    assert status == 400 and "fault_switches" in err["error"]["message"]
    status, err = call(gw, "POST", "/api/drills", body={"deployment": "nope", "duration_s": 1})
    assert status == 404
    for bad in ({"deployment": "gpt-4o-mini", "duration_s": 0}, {"deployment": "gpt-4o-mini", "duration_s": 1e9},
                {"deployment": "gpt-4o-mini", "duration_s": 1, "error_rate": 2}, {"deployment": "gpt-4o-mini"},
                {"deployment": "gpt-4o-mini", "duration_s": 1, "error_rate": 0}):  # fmt: skip
        status, err = call(gw, "POST", "/api/drills", body=bad)
        assert status == 400, (bad, err)
    status, _ = call(gw, "GET", "/api/drills/drl_missing")
    assert status == 404


def test_fault_switches_let_drills_fault_any_deployment(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(WITH_OPENAI + "failover:\n  drills: {fault_switches: true}\n")
    status, drill = call(gw, "POST", "/api/drills", body={"deployment": "real-model", "duration_s": 0.2})
    assert status == 201, drill
    assert _wait_finished(gw, str(drill["id"]))["status"] == "finished"


def test_incidents_are_scoped_to_the_workloads_they_affected(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(WITH_OPENAI)
    now = time.time()
    save_incident(
        gw.state.engine,
        IncidentRow(
            id="inc_1", deployment="gpt-4o-mini", opened_at=now - 60, closed_at=now - 30, cause="traffic", calls=10,
            served=9, failed_over=8, lost=1, added_p50_ms=2.0, added_p99_ms=9.0, normal_p50_ms=20.0,
            normal_p99_ms=40.0, workloads=(WorkloadRow("test", 6, 6, 5, 0), WorkloadRow("other", 4, 3, 3, 1)),
        ),
    )  # fmt: skip
    mine = gw.create_key("test", role=Role.VIEWER).secret
    theirs = gw.create_key("other", role=Role.VIEWER).secret
    status, listed = call(gw, "GET", "/api/incidents", mine)
    assert status == 200 and [i["id"] for i in listed["incidents"]] == ["inc_1"]
    status, one = call(gw, "GET", "/api/incidents/inc_1", mine)
    assert status == 200 and [w["workload"] for w in one["workloads"]] == ["test"]
    assert one["success_rate"] == 0.9 and one["added_p99_ms"] == 9.0
    status, admin = call(gw, "GET", "/api/incidents/inc_1", ADMIN)
    assert status == 200 and len(admin["workloads"]) == 2
    lone = gw.create_key("test", role=Role.VIEWER)  # same workload: sees it
    assert call(gw, "GET", "/api/incidents/inc_1", lone.secret)[0] == 200
    assert call(gw, "GET", "/api/incidents/inc_1", theirs)[0] == 200
    status, listed = call(gw, "GET", "/api/incidents?since=10s", ADMIN)
    assert status == 200 and listed["incidents"] == []
    assert call(gw, "GET", "/api/incidents/inc_2", ADMIN)[0] == 404


def test_an_unaffected_workload_sees_no_incident(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(WITH_OPENAI)
    save_incident(
        gw.state.engine,
        IncidentRow(
            id="inc_9", deployment="gpt-4o", opened_at=time.time(), closed_at=None, cause="traffic", calls=1,
            served=1, failed_over=1, lost=0, added_p50_ms=None, added_p99_ms=None, normal_p50_ms=None,
            normal_p99_ms=None, workloads=(WorkloadRow("other", 1, 1, 1, 0),),
        ),
    )  # fmt: skip
    mine = gw.create_key("test", role=Role.VIEWER).secret
    assert call(gw, "GET", "/api/incidents", mine)[1]["incidents"] == []
    status, err = call(gw, "GET", "/api/incidents/inc_9", mine)
    assert status == 404 and err["error"]["code"] == "incident_not_found"


def test_health_lists_the_configured_deployments_to_the_admin(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(WITH_OPENAI)
    status, health = call(gw, "GET", "/api/models/health", ADMIN)
    assert status == 200
    rows = {r["deployment"]: r for r in health["deployments"]}
    assert rows["gpt-4o-mini"]["state"] == "closed" and rows["gpt-4o-mini"]["calls"] == 0
    status, health = call(gw, "GET", "/api/models/health", gw.create_key(role=Role.VIEWER).secret)
    assert status == 200 and health["deployments"] == []  # a workload sees what its own calls tried
