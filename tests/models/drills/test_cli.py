"""`rungway drill outage` and `rungway incidents list|show` against a real server over HTTP; mistakes are one
line naming the option and the fix."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.domain.keys import Role
from rungway.models.drills.cli import parse_seconds
from rungway.models.incidents.store import IncidentRow, WorkloadRow, save_incident
from tests.api.http import ADMIN
from tests.servers import Gateway


def run(gw: Gateway, key: str, *args: str, ok: bool = True) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    result = CliRunner().invoke(cli, list(args), env=env)
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def said(result: Result) -> str:
    """What the user reads: the output, or the one-line error `rungway` prints for a RungwayError."""
    return result.output + (str(result.exception) if result.exception else "")


def test_drill_outage_waits_and_reports(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory()
    out = run(gw, ADMIN, "drill", "outage", "--deployment", "gpt-4o-mini", "--duration", "300ms", "--json")
    report = json.loads(out.output[out.output.index("{") :])
    assert report["status"] == "finished" and report["deployment"] == "gpt-4o-mini" and report["fault"] == "error"
    out = run(gw, ADMIN, "drill", "outage", "-d", "gpt-4o", "--duration", "0.2s", "--latency", "10ms")
    assert "calls 0" in out.output and "latency" in out.output


def test_drill_mistakes_are_one_line(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory()
    bad = run(gw, ADMIN, "drill", "outage", "-d", "gpt-4o-mini", "--duration", "soon", ok=False)
    assert bad.exit_code != 0 and "--duration 'soon' is not a duration" in said(bad)
    viewer = gw.create_key(role=Role.VIEWER).secret
    denied = run(gw, viewer, "drill", "outage", "-d", "gpt-4o-mini", "--duration", "1s", ok=False)
    assert denied.exit_code != 0 and "admin" in said(denied).lower()
    missing = run(gw, ADMIN, "drill", "outage", "-d", "nope", "--duration", "1s", ok=False)
    assert "nope" in said(missing)


def test_parse_seconds() -> None:
    assert parse_seconds("60s", "--d") == 60 and parse_seconds("2m", "--d") == 120
    assert parse_seconds("250ms", "--d") == 0.25 and parse_seconds("3", "--d") == 3


def test_incidents_list_and_show(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory()
    save_incident(
        gw.state.engine,
        IncidentRow(
            id="inc_cli", deployment="gpt-4o-mini", opened_at=time.time() - 60, closed_at=None, cause="traffic",
            calls=4, served=4, failed_over=4, lost=0, added_p50_ms=1.0, added_p99_ms=3.0, normal_p50_ms=None,
            normal_p99_ms=None, workloads=(WorkloadRow("test", 4, 4, 4, 0),),
        ),
    )  # fmt: skip
    listed = run(gw, ADMIN, "incidents", "list", "--format", "json")
    assert [i["id"] for i in json.loads(listed.output)] == ["inc_cli"]
    shown = run(gw, gw.create_key("test", role=Role.VIEWER).secret, "incidents", "show", "inc_cli")
    assert "still open" in shown.output and "failed over 4" in shown.output
    missing = run(gw, ADMIN, "incidents", "show", "inc_nope", ok=False)
    assert missing.exit_code != 0 and "inc_nope" in said(missing)
