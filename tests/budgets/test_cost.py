"""Cost reports reconcile exactly with the request log, on SQLite and PostgreSQL, via service, API and CLI."""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from rungway.budgets.cost import cost_report
from rungway.cli.main import cli
from rungway.domain.records import RequestRecord
from rungway.errors import InvalidRequest
from rungway.store.requests import insert_requests
from rungway.store.schema import requests
from tests.budgets.support import api, open_store
from tests.servers import Gateway

NOW = time.time()
DIMENSIONS = {
    "workload": "workload",
    "user": "user",
    "model": "model_requested",
    "team": "team",
    "provider": "provider",
    "provider_account": "provider_account",
    "prompt": "prompt_name",
    "prompt_version": "prompt_version",
}


def _key(record: RequestRecord, by: str) -> str | None:
    if by == "tag":
        return record.tags.get("env")
    if by == "prompt_version":  # name@version; calls without a prompt form one group
        return f"{record.prompt_name}@{record.prompt_version}" if record.prompt_name else None
    value = getattr(record, DIMENSIONS[by])
    return None if value is None else str(value)


def _records(n: int = 600) -> list[RequestRecord]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        tags = {"env": rng.choice(["prod", "dev"])} if i % 3 else {"feature": "x"}
        prompt = rng.choice(["support-answer", "triage", None])
        out.append(
            RequestRecord(
                id=f"req_{i:06d}",
                ts_start=NOW - rng.uniform(0, 20 * 86400),
                ts_end=NOW,
                workload=rng.choice(["support", "search", "ops"]),
                key_id=f"key_{i % 4}",
                user=rng.choice(["ann", "bob", "cy", None]),
                team=rng.choice(["qa", "core", None]),
                tags=tags,
                model_requested=rng.choice(["gpt-4o", "gpt-4o-mini"]),
                provider=rng.choice(["openai", "anthropic"]),
                provider_account=rng.choice(["acct-a", "acct-b"]),
                status=rng.choice([200, 200, 200, 429, 502]),
                tokens_in=rng.randint(1, 5000),
                tokens_out=rng.randint(0, 2000),
                cost_nano=rng.randint(0, 90_000_000_000),  # up to $90 per call: sums pass 2^32 and 2^53 / 1e9
                prompt_name=prompt,
                prompt_version=rng.randint(1, 3) if prompt else None,
            )
        )
    return out


@pytest.mark.parametrize("by", [*DIMENSIONS, "tag"])
def test_cost_report_groups_and_days_add_up_to_the_request_log(store_url: str, by: str) -> None:
    engine = open_store(store_url)
    records = _records()
    insert_requests(engine, records)
    report = cost_report(engine, by, since="30d", tag="env", now=NOW + 1)

    expected: dict[str | None, int] = defaultdict(int)
    for r in records:
        expected[_key(r, by)] += r.cost_nano
    assert {row.key: row.cost_nano for row in report.rows} == dict(expected)
    with engine.connect() as conn:
        log_total = int(conn.execute(select(func.sum(requests.c.cost_nano))).scalar_one())
    assert report.total.cost_nano == log_total == sum(r.cost_nano for r in records)
    assert report.total.requests == len(records)
    assert report.reconciles()
    days: dict[str, int] = defaultdict(int)
    for r in records:
        days[datetime.fromtimestamp(r.ts_start, UTC).date().isoformat()] += r.cost_nano
    assert {d.key: d.cost_nano for d in report.daily} == dict(days)
    assert [u.key for u in report.top_users] == [
        k for k, _ in sorted(((k, v) for k, v in _by_user(records).items()), key=lambda kv: -kv[1])
    ]


def _by_user(records: list[RequestRecord]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in records:
        if r.user is not None:
            out[r.user] += r.cost_nano
    return out


def test_cost_report_window_and_per_1k_requests(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    records = _records(200)
    insert_requests(engine, records)
    report = cost_report(engine, "workload", since="7d", now=NOW + 1)
    recent = [r for r in records if r.ts_start >= NOW + 1 - 7 * 86400]
    assert report.total.cost_nano == sum(r.cost_nano for r in recent)
    for row in report.rows:
        assert row.cost_per_1k_requests_usd == pytest.approx(row.cost_nano / 1e9 * 1000 / row.requests)


def test_cost_report_rejects_a_bad_dimension_or_a_tag_report_without_a_key(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with pytest.raises(InvalidRequest, match="use one of"):
        cost_report(engine, "colour")
    with pytest.raises(InvalidRequest, match="tag key"):
        cost_report(engine, "tag")


def test_cost_report_api_and_cli_give_the_same_exact_totals(
    gateway_factory: Callable[..., Gateway], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_store(sqlite_url)
    records = _records(300)
    insert_requests(engine, records)
    gw = gateway_factory(store_url=sqlite_url)
    status, body = api(gw.base_url, "/api/cost/report?by=provider_account&since=30d")
    assert status == 200 and body["reconciled"]
    assert body["total"]["cost_nano"] == sum(r.cost_nano for r in records)
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", sqlite_url)
    result = CliRunner().invoke(cli, ["cost", "report", "--by", "provider_account", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == body["total"]
    table = CliRunner().invoke(cli, ["cost", "report", "--by", "tag", "--tag", "env"])
    assert table.exit_code == 0 and "reconciles with the request log" in table.output
    csv_out = CliRunner().invoke(cli, ["cost", "report", "--by", "user", "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("key,requests")
    bad = CliRunner().invoke(cli, ["cost", "report", "--by", "tag"])
    assert isinstance(bad.exception, InvalidRequest) and "tag key" in bad.exception.message  # main() prints it
