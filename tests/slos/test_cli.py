"""`rungway slo` against a real server: create, list, status, history, export to OpenSLO YAML and import it back,
delete; a broken import file names the file, the line and the field, without a traceback."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.slos.monitor import MONITOR
from tests.servers import Gateway
from tests.slos.support import CONFIG, calls, spread


def slo(gw: Gateway, key: str, *args: str, code: int = 0) -> Result:
    env = {"RUNGWAY_URL": gw.base_url, "RUNGWAY_API_KEY": key, "RUNGWAY_ADMIN_KEY": None, "RUNGWAY_CONFIG": None}
    result = CliRunner().invoke(cli, ["slo", *args], env=env)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


def test_create_read_export_import_and_delete(gateway_factory: Callable[..., Gateway], tmp_path: Path) -> None:
    gw = gateway_factory(CONFIG)
    key = gw.create_key("test").secret
    calls(gw.state.engine, "test", spread(150, 60, 3600))
    calls(gw.state.engine, "test", spread(50, 60, 3600), latency_ms=5000)
    made = slo(gw, key, "create", "fast", "--kind", "latency", "--objective", "95", "--threshold-ms", "1000")
    assert "SLO fast of test: latency 95.000% over 30d" in made.output
    listed = slo(gw, key, "list").output
    assert (
        "fast" in listed and "SLI 75.000%" in listed and "budget -400.0%" in listed and "ticket-1d,ticket-3d" in listed
    )
    status = slo(gw, key, "status", "fast").output
    assert "150 good of 200 events" in status and "1h=5.00x" in status
    gw.state.slots[MONITOR].evaluate_all(time.time())
    assert "SLI 75.000%" in slo(gw, key, "history", "fast").output
    exported = tmp_path / "slos.yaml"
    assert "1 SLO(s) written" in slo(gw, key, "export", "-o", str(exported)).output
    document = yaml.safe_load(exported.read_text())
    assert document["apiVersion"] == "openslo/v1" and document["spec"]["objectives"] == [{"displayName": "fast",
                                                                                          "target": 0.95}]  # fmt: skip
    assert "SLO fast deleted" in slo(gw, key, "delete", "fast").output
    assert "no SLOs" in slo(gw, key, "list").output
    assert "SLO fast of test imported (latency 95.000%)" in slo(gw, key, "import", str(exported)).output
    assert "fast" in slo(gw, key, "list").output
    broken = tmp_path / "broken.yaml"
    broken.write_text(exported.read_text() + "---\n" + exported.read_text().replace("target: 0.95", "target: 7"))
    failed = str(slo(gw, key, "import", str(broken), code=1).exception)  # `rungway` prints it as one line
    assert failed.startswith(f"{broken}:") and "document 2, objective: expected a share" in failed
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("apiVersion: openslo/v1\nkind: [SLO\n")
    failed = str(slo(gw, key, "import", str(bad_yaml), code=1).exception)
    assert failed.startswith(f"{bad_yaml}:") and "not valid YAML" in failed and "Fix:" in failed
    assert "no SLO 'missing'" in str(slo(gw, key, "status", "missing", code=1).exception)
