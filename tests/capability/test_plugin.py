"""A third-party capability joins through the `rungway.capabilities` entry-point group alone.

The plugin (`shout_plugin.py`) is installed at test time as a distribution whose only content is
an entry point; the real `rungway serve` and `rungway config check` run in their own processes and
find it, as they would find a package installed with pip. Nothing in Rungway names it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = """
server:
  admin_key: admin-secret
store:
  url: sqlite:///{db}
providers:
  sim: {{type: simulator}}
models:
  fast: {{provider: sim, model: gpt-4o-mini}}
workloads:
  test: {{}}
shout:
  banned_word: {word}
"""


def _install_plugin(site: Path) -> None:
    """A distribution with one entry point, as `pip install shout-plugin` would leave it."""
    info = site / "shout_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rungway.capabilities]\nshout = tests.capability.shout_plugin:SHOUT\n")


def _env(site: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNGWAY_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)] if site is not None else [str(REPO)])
    return env


def _rungway(site: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rungway", *args]
    return subprocess.run(command, env=_env(site), capture_output=True, text=True, timeout=120, check=False)


def _api(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A management API call with the admin key; the parsed JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Authorization", "Bearer admin-secret")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _config(tmp_path: Path, word: str = "whisper", extra: str = "") -> Path:
    path = tmp_path / "rungway.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "gw.db", word=word) + extra)
    return path


def test_config_check_validates_a_plugin_section_and_refuses_an_unknown_key_in_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    good = _rungway(site, "config", "check", str(_config(tmp_path)))
    assert good.returncode == 0, good.stderr
    bad = _rungway(site, "config", "check", str(_config(tmp_path, extra="  volume: 11\n")))
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "shout.volume" in lines[0] and "banned_word" in lines[0], bad.stderr


def test_without_the_plugin_its_section_is_an_unknown_section(tmp_path: Path) -> None:
    result = _rungway(None, "config", "check", str(_config(tmp_path)))
    assert result.returncode == 1
    assert "shout" in result.stderr and "unknown section" in result.stderr, result.stderr


def test_serve_names_the_uninstalled_capability_whose_migrations_the_store_holds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    config = str(_config(tmp_path))
    migrated = _rungway(site, "keys", "list", "--config", config)  # opens the store: the shout branch applies
    assert migrated.returncode == 0, migrated.stderr
    no_section = tmp_path / "without-shout.yaml"
    no_section.write_text(Path(config).read_text().split("shout:")[0])
    refused = _rungway(None, "serve", "--config", str(no_section), "--port", "0")
    assert refused.returncode == 1 and not refused.stdout
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "capability 'shout'" in lines[0] and "Fix: install the package that provides the capability" in lines[0]


def test_config_check_with_store_names_the_uninstalled_capability_and_changes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    config = _config(tmp_path)
    db = tmp_path / "gw.db"
    fresh = _rungway(site, "config", "check", str(config), "--store")  # no store yet: nothing needed, none made
    assert fresh.returncode == 0 and "the store needs no capability missing here" in fresh.stdout, fresh.stderr
    assert not db.exists()
    assert _rungway(site, "keys", "list", "--config", str(config)).returncode == 0  # migrates, shout included
    assert _rungway(site, "config", "check", str(config), "--store").returncode == 0
    no_section = tmp_path / "without-shout.yaml"
    no_section.write_text(config.read_text().split("shout:")[0])
    before = db.read_bytes()
    plain = _rungway(None, "config", "check", str(no_section))  # the file alone is fine
    assert plain.returncode == 0, plain.stderr
    refused = _rungway(None, "config", "check", str(no_section), "--store")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "capability 'shout'" in refused.stderr and "Fix: install the package" in refused.stderr
    assert db.read_bytes() == before


def test_rungway_serve_routes_calls_through_a_plugin_capability(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    command = [sys.executable, "-m", "rungway", "serve", "--config", str(_config(tmp_path, word="psst"))]
    proc = subprocess.Popen(
        [*command, "--port", "0", "--log-level", "warning"],
        env=_env(site),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on" in line, (line, proc.stderr.read() if proc.stderr else "")
        base = line.split("listening on ")[1].split()[0]
        secret = _api(base, "POST", "/api/keys", {"workload": "test"})["secret"]
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=secret, max_retries=0)

        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model="fast", messages=[{"role": "user", "content": "psst, hello"}])
        assert "shout refuses the word 'psst'" in str(refused.value)
        reply = client.chat.completions.create(model="fast", messages=[{"role": "user", "content": "hello"}])
        assert reply.choices[0].message.content

        assert _api(base, "GET", "/api/shout") == {"let_through": 1}
        paths = _api(base, "GET", "/api/openapi.json")["paths"]
        assert "/api/shout" in paths and "/api/budgets" in paths
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


_LOADED_CHECKS = (
    "import sys; from rungway.evidence import load_checks; checks = load_checks(); "
    "print(' '.join(sorted(checks)), 'tests.capability.shout_checks' in sys.modules)"
)


def test_a_plugin_capability_s_evidence_checks_load_with_the_built_in_ones() -> None:
    plain = subprocess.run(
        [sys.executable, "-c", _LOADED_CHECKS], env=_env(None), capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert "detailed_traces" in plain and "budgets" in plain
    assert "shout_banned_word" not in plain and plain[-1] == "False"


def test_a_plugin_capability_s_checks_module_is_named_not_imported_until_checks_load(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    probe = (
        "import sys; from rungway.capability import load_capabilities; load_capabilities(); "
        "print('tests.capability.shout_checks' in sys.modules)"
    )
    before = subprocess.run(
        [sys.executable, "-c", probe], env=_env(site), capture_output=True, text=True, timeout=120, check=True
    )
    assert before.stdout.split() == ["False"]
    after = subprocess.run(
        [sys.executable, "-c", _LOADED_CHECKS], env=_env(site), capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert "shout_banned_word" in after and "detailed_traces" in after and after[-1] == "True"
