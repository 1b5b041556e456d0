"""`rungway eval run` as a user runs it: its own process, a real server, a dataset made through the API."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from rungway.capability import load_capabilities
from rungway.cli.main import COMMANDS_GROUP
from tests.api.http import ADMIN, call
from tests.cli.run import cli_env
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

NEVER = "zq-never-said-zq"


def _dataset(gw: Gateway, name: str = "faq", count: int = 6, workload: str = "test") -> dict[str, Any]:
    cases = [{"key": f"q{i}", "messages": [{"role": "user", "content": f"question {i}"}],
              "assert": [{"type": "not-contains" if i % 3 else "contains", "value": NEVER}]}
             for i in range(count)]  # fmt: skip
    body = {"name": name, "workload": workload, "cases": cases, "default_assertions": [{"type": "regex", "value": "."}]}
    status, version = call(gw, "POST", "/api/datasets", ADMIN, body)
    assert status == 201, version
    return version


def _eval(gw: Gateway, secret: str | None, *args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**cli_env(None), "RUNGWAY_URL": gw.base_url, "CI": "true"}
    if secret:
        env["RUNGWAY_API_KEY"] = secret
    return subprocess.Popen([sys.executable, "-m", "rungway", "eval", "run", *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_eval_run_runs_a_dataset_stores_the_run_and_prints_a_summary(gateway: Gateway, tmp_path: Path) -> None:
    _dataset(gateway)
    secret = gateway.create_key().secret
    code, out, err = _finish(_eval(gateway, secret, "-w", "test", "-d", "faq", "-m", "gpt-4o-mini",
                                   "--param", "temperature=0", cwd=tmp_path))  # fmt: skip
    assert code == 0, err
    assert "6 results, 4 passed" in out and "errored" in out
    assert "regex" in out and "not-contains" in out  # per-metric lines
    status, runs = call(gateway, "GET", "/api/eval-runs", secret)
    assert status == 200
    run = runs["data"][0]
    assert (run["dataset"], run["dataset_version"], run["trigger"], run["status"]) == ("faq", "1", "cli", "finished")
    assert run["parameters"] == {"temperature": 0} and run["passed"] == 4 and run["cases"] == 6
    assert (tmp_path / ".rungway" / "eval-cache" / "responses.sqlite3").exists()
    code, out, _ = _finish(_eval(gateway, secret, "-w", "test", "-d", "faq@1", "-m", "gpt-4o-mini",
                                 "--param", "temperature=0", cwd=tmp_path))  # fmt: skip
    assert code == 0 and "6 cached" in out


def test_eval_run_names_the_fix_for_user_mistakes(gateway: Gateway, tmp_path: Path) -> None:
    _dataset(gateway)
    secret = gateway.create_key().secret
    for args, key, expected in (
        (("-w", "test", "-d", "faq", "-m", "gpt-4o-mini"), None, "RUNGWAY_API_KEY"),
        (("-w", "test", "-d", "faq!", "-m", "gpt-4o-mini"), secret, "NAME@VERSION"),
        (("-w", "test", "-d", "nothing", "-m", "gpt-4o-mini"), secret, "404"),
        (("-w", "test", "-d", "faq"), secret, "--model"),
        (("-w", "test", "-d", "faq", "-m", "gpt-4o-mini", "--param", "oops"), secret, "KEY=VALUE"),
        (("-w", "test", "-d", "faq", "-p", "bad prompt!"), secret, "NAME@VERSION"),
        (("-w", "test", "-d", "faq", "-m", "m", "--concurrency", "0"), secret, "concurrency"),
    ):
        code, out, err = _finish(_eval(gateway, key, *args, cwd=tmp_path))
        assert code != 0 and code != 130, (args, out, err)
        assert expected in err and "Traceback" not in err, (args, err)


def test_eval_run_cannot_reach_the_server_says_so(tmp_path: Path) -> None:
    env = {**cli_env(None), "RUNGWAY_URL": "http://127.0.0.1:9", "RUNGWAY_API_KEY": "rw-x", "CI": "true"}
    done = subprocess.run([sys.executable, "-m", "rungway", "eval", "run", "-w", "t", "-d", "faq", "-m", "m"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1 and "cannot reach" in done.stderr and "Traceback" not in done.stderr


SLOW = SIMULATOR_CONFIG.replace("    type: simulator\n", "    type: simulator\n    latency_ms: 5000\n")


def test_ctrl_c_cancels_the_run_and_exits_130(gateway_factory: Callable[..., Gateway], tmp_path: Path) -> None:
    gw = gateway_factory(SLOW)
    _dataset(gw, count=20)
    secret = gw.create_key().secret
    proc = _eval(gw, secret, "-w", "test", "-d", "faq", "-m", "gpt-4o-mini", "-c", "2", cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not call(gw, "GET", "/api/eval-runs", secret)[1]["data"]:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    code, _, err = _finish(proc)
    assert code == 130, err
    assert "cancelled" in err and "Traceback" not in err
    run = call(gw, "GET", "/api/eval-runs", secret)[1]["data"][0]
    assert run["status"] == "cancelled" and run["finished_at"]


def test_the_fast_command_entry_points_match_the_capabilities_commands() -> None:
    declared = {c_name: path for c in load_capabilities() for c_name, path in c.cli.items()}
    for point in entry_points(group=COMMANDS_GROUP):
        assert declared.get(point.name) == point.value, point


def _prompt(gw: Gateway, key: str, text: str) -> dict[str, Any]:
    body = {"name": "reply", "messages": [{"role": "user", "content": text}], "model": "gpt-4o-mini",
            "parameters": {"max_tokens": 50}, "message": "draft"}  # fmt: skip
    status, version = call(gw, "POST", "/api/prompts", key, body)
    assert status in (200, 201), version
    return version


def test_a_run_with_a_prompt_sends_it_by_reference_so_the_request_log_names_the_version(
    gateway_factory: Callable[..., Gateway], store_url: str, tmp_path: Path
) -> None:
    gw = gateway_factory(store_url=store_url)
    secret = gw.create_key().secret
    _prompt(gw, secret, "Answer {{question}} briefly.")
    _prompt(gw, secret, "Answer {{question}} at length.")
    cases = [{"key": f"v{i}", "vars": {"question": f"question {i}"}, "assert": [{"type": "regex", "value": "."}]}
             for i in range(4)]  # fmt: skip
    status, made = call(gw, "POST", "/api/datasets", secret, {"name": "vars-only", "cases": cases})
    assert status == 201, made
    for ref, version in (("reply@1", 1), ("reply:latest", 2)):
        code, out, err = _finish(_eval(gw, secret, "-w", "test", "-d", "vars-only", "-p", ref, "--no-cache",
                                       cwd=tmp_path))  # fmt: skip
        assert code == 0, err
        assert "4 results, 4 passed" in out
        run = call(gw, "GET", "/api/eval-runs?limit=1", secret)[1]["data"][0]
        assert (run["prompt"], run["prompt_version"], run["model"]) == ("reply", version, "gpt-4o-mini")
        gw.flush()
        status, logs = call(gw, "GET", "/api/logs?limit=4", secret)
        assert status == 200
        assert [(row["prompt_name"], row["prompt_version"]) for row in logs["data"]] == [("reply", version)] * 4
    code, _, err = _finish(_eval(gw, secret, "-w", "test", "-d", "vars-only", "-p", "reply@9", cwd=tmp_path))
    assert code == 1 and "404" in err and "Traceback" not in err
