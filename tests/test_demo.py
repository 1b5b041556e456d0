"""`make run` (`python -m rungway.demo`): it serves, prints working snippets, keeps its demo key, stops quietly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import openai
import requests

from rungway.demo import choose_port
from tests.cli.run import cli_env, rungway

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rungway.yaml"


def _start(cwd: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = cli_env(None) | {"RUNGWAY_CONFIG": str(EXAMPLE), "RUNGWAY_PORT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rungway.demo"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    exports: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip().startswith("Dashboard"):
            exports["DASHBOARD"] = line.split()[-1]
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value
        if line.startswith("Press Ctrl-C"):
            return proc, exports
    proc.wait(30)
    raise AssertionError(f"the demo exited early: {proc.stderr.read() if proc.stderr else ''}")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def _ask(exports: dict[str, str]) -> str:
    client = openai.OpenAI(base_url=exports["OPENAI_BASE_URL"], api_key=exports["OPENAI_API_KEY"], max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}])
    return reply.choices[0].message.content or ""


def test_demo_serves_with_the_printed_key_and_keeps_it_across_restarts(tmp_path: Path) -> None:
    proc, exports = _start(tmp_path)
    try:
        assert exports["OPENAI_BASE_URL"].startswith("http://127.0.0.1:") and exports["OPENAI_BASE_URL"].endswith("/v1")
        assert _ask(exports)
    finally:
        code, err = _stop(proc)
    assert code == 0 and "Traceback" not in err
    assert (tmp_path / ".rungway" / "demo-key").read_text().strip() == exports["OPENAI_API_KEY"]
    assert (tmp_path / ".rungway" / "admin-key").is_file() and (tmp_path / "rungway.db").is_file()

    proc, again = _start(tmp_path)
    _stop(proc)
    assert again["OPENAI_API_KEY"] == exports["OPENAI_API_KEY"]


def test_the_printed_dashboard_link_signs_in_once(tmp_path: Path) -> None:
    proc, exports = _start(tmp_path)
    try:
        link = exports["DASHBOARD"]
        assert "/ui/signin/link?token=" in link
        with requests.Session() as browser:
            first = browser.get(link, timeout=30)
            assert first.status_code == 200 and first.url.endswith("/ui")  # signed in, on the overview
            assert "Overview" in first.text and "Sign out" in first.text
        again = requests.get(link, timeout=30, allow_redirects=False)
        assert again.status_code == 401 and "already used" in again.text
    finally:
        _stop(proc)


def test_demo_makes_a_new_key_when_the_old_one_was_revoked_or_the_database_deleted(tmp_path: Path) -> None:
    proc, first = _start(tmp_path)
    _stop(proc)
    db = f"sqlite:///{tmp_path}/rungway.db"
    assert rungway(db, "keys", "revoke", first["OPENAI_API_KEY"][:11]).returncode == 0
    proc, second = _start(tmp_path)
    try:
        assert second["OPENAI_API_KEY"] != first["OPENAI_API_KEY"]
        assert _ask(second)
    finally:
        _stop(proc)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"rungway.db{suffix}").unlink(missing_ok=True)
    proc, third = _start(tmp_path)
    try:
        assert third["OPENAI_API_KEY"] != second["OPENAI_API_KEY"]
        assert _ask(third)
    finally:
        _stop(proc)


def _port_in_time_wait() -> int:
    """A port whose server just closed a connection first: it sits in TIME_WAIT, as after a quick restart."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = int(listener.getsockname()[1])
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the server side closes first, so its end of the connection enters TIME_WAIT
        assert client.recv(1) == b""  # the close arrived
        client.close()
    return port


def test_a_port_left_in_time_wait_by_a_stopped_server_counts_as_free() -> None:
    port = _port_in_time_wait()
    assert choose_port("127.0.0.1", str(port)) == (port, None)
