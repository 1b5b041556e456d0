"""`rungway anomalies list|show|watch` against a real gateway: what moved, the traces, the hours, the watch
state; a missing anomaly is one line (no traceback) and a bad option a usage error."""

from __future__ import annotations

from collections.abc import Callable

from rungway.domain.keys import Role
from rungway.errors import NotFound
from tests.anomalies.support import GATEWAY_CONFIG, anomalies_cli, seed_incident, tick
from tests.servers import Gateway


def test_the_cli_lists_and_shows(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(GATEWAY_CONFIG)
    seed_incident(gw.state.engine, "test")
    tick(gw)
    key = gw.create_key("test", role=Role.VIEWER).secret
    listed = anomalies_cli(gw, key, "list").output
    assert "error_rate" in listed and "model=gpt-4o" in listed and "open" in listed
    anomaly_id = listed.split()[0]
    shown = anomalies_cli(gw, key, "show", anomaly_id).output
    assert "moved most: model = gpt-4o" in shown and "trace " in shown and "<" in shown
    assert "on" in anomalies_cli(gw, key, "watch").output
    assert "no anomalies" in anomalies_cli(gw, key, "list", "--status", "resolved").output
    missing = anomalies_cli(gw, key, "show", "anom_missing", code=1)
    assert isinstance(missing.exception, NotFound) and "anom_missing" in str(missing.exception)  # one line, no trace
    assert anomalies_cli(gw, key, "list", "--status", "closed", code=2).output
