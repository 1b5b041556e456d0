"""`rungway models catalogue ...` against a real server over HTTP: list and show, approve with evidence,
deprecate with dates, block and unblock as admin; a developer's change and a typo are one line, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.domain.keys import Role
from tests.cli.run import rungway
from tests.models.catalogue.support import CATALOGUE_CONFIG
from tests.servers import Gateway

ADMIN = "admin-secret"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway]) -> Gateway:
    return gateway_factory(CATALOGUE_CONFIG)


def run(gw: Gateway, key: str, *args: str, ok: bool = True) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    result = CliRunner().invoke(cli, ["models", "catalogue", *args], env=env)
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def test_list_and_show(gw: Gateway) -> None:
    listed = json.loads(run(gw, ADMIN, "list", "--status", "deprecated", "--format", "json").output)
    names = {e["name"] for e in listed}
    assert "old-model-2025-01-01" in names and all(e["status"] == "deprecated" for e in listed)
    table = run(gw, ADMIN, "list", "--provider", "simulator").output
    assert "banned-model-2025-01-01" in table and "blocked" in table
    shown = run(gw, ADMIN, "show", "old-model-2025-01-01").output
    assert "sunset: 2027-01-14" in shown and "successor: new-model-2026-01-01" in shown


def test_admin_changes_are_recorded_with_evidence(gw: Gateway) -> None:
    out = run(gw, ADMIN, "approve", "new-model-2026-01-01", "--evidence", "eval_run:run_42", "-m", "evals passed")
    assert out.output.startswith("new-model-2026-01-01: approved (approve by admin at ")
    run(gw, ADMIN, "deprecate", "new-model-2026-01-01", "--sunset", "2027-09-01", "--successor", "old-model-2025-01-01")
    run(gw, ADMIN, "block", "old-model-2025-01-01", "-m", "retired early")
    assert "unblock" in run(gw, ADMIN, "unblock", "old-model-2025-01-01").output
    shown = run(gw, ADMIN, "show", "new-model-2026-01-01").output
    assert "sunset: 2027-09-01" in shown and "[eval_run:run_42]: evals passed" in shown
    after = json.loads(run(gw, ADMIN, "show", "old-model-2025-01-01", "--format", "json").output)
    assert after["status"] == "deprecated" and [c["action"] for c in after["history"]] == ["unblock", "block"]


def test_mistakes_are_one_line(gw: Gateway) -> None:
    developer = gw.create_key("test", role=Role.DEVELOPER).secret
    refused = run(gw, developer, "block", "new-model-2026-01-01", ok=False)
    assert refused.exit_code != 0 and "admin role" in str(refused.exception)
    bad = run(gw, ADMIN, "approve", "new-model-2026-01-01", "--evidence", "vibes", ok=False)
    assert bad.exit_code != 0 and "KIND:ID" in bad.output
    missing = rungway(None, "models", "catalogue", "show", "no-such-model", "--server", gw.base_url, "--key", ADMIN)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "no model 'no-such-model' in the catalogue" in missing.stderr
