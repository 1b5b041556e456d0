"""`/api/models/pins` and `rungway models pins`: scoped to the caller's workload, 4xx for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.models.pins.support import CONFIG
from tests.servers import Gateway


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _cli(gw: Gateway, key: str, *args: str) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    return CliRunner().invoke(cli, list(args), env=env)


def test_another_workloads_pin_is_a_404_and_the_admin_sees_all(gw: Gateway) -> None:
    mine, theirs = gw.create_key("test").secret, gw.create_key("other").secret
    set_pin = {"snapshot": "gpt-4o-2024-11-20", "reason": "newer"}
    assert call(gw, "PUT", "/api/models/pins/gpt-4o-latest", mine, set_pin)[0] == 200
    listed = call(gw, "GET", "/api/models/pins", theirs)[1]["data"]
    assert listed == []
    assert call(gw, "GET", "/api/models/pins?workload=test", theirs)[0] == 404
    assert call(gw, "GET", "/api/models/pins/history?workload=test", theirs)[0] == 404
    assert call(gw, "PUT", "/api/models/pins/gpt-4o-latest", theirs, {**set_pin, "workload": "test"})[0] == 404
    assert call(gw, "POST", "/api/models/pins/gpt-4o-latest/rollback", theirs, {"workload": "test"})[0] == 404
    assert call(gw, "POST", "/api/models/pins/gpt-4o-latest/rollback", theirs, {})[0] == 404  # none of its own
    everything = call(gw, "GET", "/api/models/pins", ADMIN)[1]["data"]
    assert [(p["workload"], p["alias"], p["snapshot"], p["source"]) for p in everything] == [
        ("test", "gpt-4o-latest", "gpt-4o-2024-11-20", "store")
    ]
    assert call(gw, "PUT", "/api/models/pins/x", ADMIN, set_pin)[0] == 400  # the admin names a workload
    viewer = gw.create_key("test", role=Role.VIEWER).secret
    assert call(gw, "PUT", "/api/models/pins/gpt-4o-latest", viewer, set_pin)[0] == 403


@pytest.mark.parametrize(
    ("alias", "body"),
    [
        ("gpt-4o", {"snapshot": "gpt 4o", "reason": "x"}),
        ("gpt-4o", {"snapshot": "gpt-4o-2024-08-06"}),
        ("gpt-4o", {"snapshot": "gpt-4o-2024-08-06", "reason": "x", "extra": 1}),
        ("gpt-4o", {"snapshot": "gpt-4o", "reason": "pins itself"}),
        ("%20bad", {"snapshot": "gpt-4o-2024-08-06", "reason": "x"}),
    ],
)
def test_bad_input_is_a_400(gw: Gateway, alias: str, body: dict[str, str]) -> None:
    status, answer = call(gw, "PUT", f"/api/models/pins/{alias}", gw.create_key("test").secret, body)
    assert status == 400 and answer["error"]["type"] == "invalid_request_error", answer


def test_the_cli_lists_sets_rolls_back_and_shows_history(gw: Gateway) -> None:
    key = gw.create_key("test", owner="ana").secret
    done = _cli(gw, key, "models", "pins", "set", "gpt-4o-latest", "gpt-4o-2024-11-20", "-m", "evals passed")
    assert done.exit_code == 0 and "gpt-4o-latest pinned to gpt-4o-2024-11-20 (was gpt-4o-2024-08-06)" in done.output
    listed = json.loads(_cli(gw, key, "models", "pins", "list", "--format", "json").output)
    assert [(p["alias"], p["snapshot"], p["updated_by"]) for p in listed] == [
        ("gpt-4o-latest", "gpt-4o-2024-11-20", "ana")
    ]
    back = _cli(gw, key, "models", "pins", "rollback", "gpt-4o-latest")
    assert back.exit_code == 0 and "pinned back to gpt-4o-2024-08-06" in back.output
    history = json.loads(_cli(gw, key, "models", "pins", "history", "--format", "json").output)
    assert [(c["kind"], c["actor"]) for c in history] == [("rollback", "ana"), ("set", "ana")]
    missing = _cli(gw, key, "models", "pins", "rollback", "never-pinned")
    assert missing.exit_code == 1 and "no change of the pin" in str(missing.exception)
