"""`rungway logs query|tail` and `rungway usage` over calls made through a real gateway."""

from __future__ import annotations

import csv
import io
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from tests.api.http import chat
from tests.cli.run import cli_env, invoke, invoke_json, rungway
from tests.servers import Gateway


@pytest.fixture
def busy(gateway_factory: Callable[..., Gateway], store_url: str) -> tuple[Gateway, str]:
    gw = gateway_factory(store_url=store_url)
    bot, billing = gw.create_key("support-bot"), gw.create_key("billing")
    for user in ("ana", "ana", "ben"):
        assert chat(gw, bot.secret, user=user) == 200
    assert chat(gw, billing.secret, user="cid", model="gpt-4o") == 200
    assert chat(gw, billing.secret, user="cid", model="no-such-model") == 404
    gw.flush()
    return gw, store_url


def test_logs_query_filters(busy: tuple[Gateway, str]) -> None:
    _, url = busy

    def rows(*args: str) -> list[tuple[str, str, int]]:
        return [(r["workload"], r["user"], r["status"]) for r in invoke_json(url, "logs", "query", *args)]

    assert len(rows()) == 5
    assert rows("--user", "ben") == [("support-bot", "ben", 200)]
    assert len(rows("--workload", "support-bot", "--since", "1h")) == 3
    assert rows("--errors") == [("billing", "cid", 404)] == rows("--status", "404")
    assert rows("--model", "gpt-4o") == [("billing", "cid", 200)]
    assert len(rows("--limit", "2")) == 2
    table = invoke(url, "logs", "query", "--workload", "billing").output
    assert "no-such-model" in table and "not_found_error" in table


def test_usage_by_each_dimension_in_each_format(busy: tuple[Gateway, str]) -> None:
    _, url = busy
    by_user = {r["key"]: r["requests"] for r in invoke_json(url, "usage", "--by", "user", "--since", "7d")}
    assert by_user == {"ana": 2, "ben": 1, "cid": 2}
    by_workload = list(csv.DictReader(io.StringIO(invoke(url, "usage", "--format", "csv").output)))
    assert {r["key"]: r["errors"] for r in by_workload} == {"support-bot": "0", "billing": "1"}
    table = invoke(url, "usage", "--by", "model").output
    assert "gpt-4o-mini" in table and "TOTAL" in table
    assert invoke_json(url, "usage", "--since", "2001-01-01", "--until", "2001-01-02") == []


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_logs_tail_prints_recent_rows_then_follows_new_ones(
    gateway_factory: Callable[..., Gateway], sqlite_url: str
) -> None:
    gw = gateway_factory(store_url=sqlite_url)
    key = gw.create_key("support-bot")
    assert chat(gw, key.secret, user="before") == 200
    gw.flush()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rungway", "logs", "tail", "-n", "1", "--interval", "0.2", "-w", "support-bot"],
        env=cli_env(sqlite_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc)
        assert " before " in lines.get(timeout=60)
        other = gw.create_key("billing")
        assert chat(gw, other.secret, user="elsewhere") == 200
        assert chat(gw, key.secret, user="after") == 200
        gw.flush()
        followed = lines.get(timeout=60)
        assert " after " in followed and "support-bot" in followed
    finally:
        proc.terminate()
        proc.wait(30)
        assert proc.stderr is not None
        proc.stderr.close()
        assert proc.stdout is not None
        proc.stdout.close()
    assert not any(" elsewhere " in line for line in list(lines.queue))


def test_logs_tail_no_follow_prints_the_last_rows_and_exits(busy: tuple[Gateway, str]) -> None:
    _, url = busy
    out = invoke(url, "logs", "tail", "-n", "2", "--no-follow").output.splitlines()
    assert len(out) == 2 and " cid " in out[-1]


def test_logs_query_and_tail_filter_by_prompt_and_show_its_version(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    now = time.time()
    versions = [("support-answer", 2), ("support-answer", 3), (None, None)]
    insert_requests(
        engine,
        [
            RequestRecord(f"req_{i}", now + i, now + i, "w", "k", None, None, prompt_name=name, prompt_version=version)
            for i, (name, version) in enumerate(versions)
        ],
    )
    engine.dispose()
    rows = invoke_json(store_url, "logs", "query", "--prompt", "support-answer")
    assert [(r["prompt_name"], r["prompt_version"]) for r in rows] == [("support-answer", 3), ("support-answer", 2)]
    assert [r["id"] for r in invoke_json(store_url, "logs", "query", "--prompt", "support-answer@2")] == ["req_0"]
    assert "support-answer@3" in invoke(store_url, "logs", "query").output
    tail = invoke(store_url, "logs", "tail", "--no-follow", "--prompt", "support-answer@3").output
    assert "prompt support-answer@3" in tail and "req_0" not in tail


def test_logs_query_refuses_a_bad_prompt_filter_in_one_line(store_url: str) -> None:
    done = rungway(store_url, "logs", "query", "--prompt", "support answer@x")
    assert done.returncode != 0
    assert "prompt must be" in done.stderr and "support-answer@3" in done.stderr
    assert "Traceback" not in done.stderr
