"""Usage by prompt version (prompts/usage.py, usage_api.py, usage_cli.py) over a real server, SQLite and PostgreSQL:
calls, errors, error rate, p50/p95 latency, tokens and cost per version, scoped to the caller's workload; and
`rungway cost report --by prompt`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.errors import InvalidRequest, NotFound
from rungway.prompts.catalog import CATALOG
from rungway.prompts.config import PromptsConfig, ReviewPolicy
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label
from rungway.prompts.template import PromptContent
from rungway.store.requests import insert_requests
from tests.api.http import ADMIN, call
from tests.assessment.helpers import run_cli
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CONFIG = SIMULATOR_CONFIG + "  other:\n    team: ops\n"


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    gateway = gateway_factory(CONFIG, store_url=store_url)
    admin, engine = Actor.server_admin(), gateway.state.engine
    for text in ("Answer {{q}}.", "Answer {{q}} briefly."):
        content = PromptContent.from_json({"messages": [{"role": "user", "content": text}]})
        create_version(engine, workload="test", name="support-answer", content=content, message="m", actor=admin)
    greeting = PromptContent.from_json({"messages": [{"role": "system", "content": "Greet."}]})
    create_version(engine, workload=None, name="greeting", content=greeting, message="m", actor=admin)
    now = time.time()

    def row(workload: str, name: str, version: int, latency: float, status: int = 200) -> RequestRecord:
        return RequestRecord(id=new_id("req_"), ts_start=now - 3600, ts_end=now - 3599, workload=workload,
                             key_id="key_app", user=None, team=None, status=status, latency_ms=latency, tokens_in=100,
                             tokens_out=10, cost_nano=1_000, prompt_name=name, prompt_version=version)  # fmt: skip

    rows = [row("test", "support-answer", 1, 10.0 * i, status=500 if i == 3 else 200) for i in range(1, 11)]
    rows += [row("test", "support-answer", 2, 5.0) for _ in range(4)]
    rows += [row("test", "greeting", 1, 7.0), row("other", "greeting", 1, 7.0), row("other", "greeting", 1, 9.0)]
    old = row("test", "support-answer", 1, 1.0)
    old.ts_start = now - 10 * 86_400  # outside the default 7 days
    insert_requests(engine, [*rows, old])
    return gateway


def test_usage_per_version_has_calls_errors_latency_tokens_and_cost(gw: Gateway) -> None:
    status, body = call(gw, "GET", "/api/prompts/support-answer/usage", ADMIN)
    assert status == 200, body
    v2, v1 = body["versions"]  # newest version first
    assert (v1["version"], v1["calls"], v1["errors"], v1["error_rate"]) == (1, 10, 1, 0.1)
    assert (v1["p50_ms"], v1["p95_ms"]) == (50.0, 100.0)  # nearest rank over 10, 20, ... 100 ms
    assert (v1["tokens_in"], v1["tokens_out"], v1["cost_nano"]) == (1000, 100, 10_000)
    assert (v2["version"], v2["calls"], v2["errors"], v2["p95_ms"]) == (2, 4, 0, 5.0)
    assert body["total"]["calls"] == 14 and body["total"]["version"] is None
    month = call(gw, "GET", "/api/prompts/support-answer/usage?since=30d", ADMIN)[1]
    assert month["total"]["calls"] == 15  # the older call is in a 30-day window


def test_usage_is_scoped_to_the_callers_workload(gw: Gateway) -> None:
    test_key, other_key = gw.create_key("test").secret, gw.create_key("other").secret
    shared = call(gw, "GET", "/api/prompts/greeting/usage", other_key)[1]
    assert shared["workload"] == "other" and shared["total"]["calls"] == 2  # its own calls of the shared prompt
    assert call(gw, "GET", "/api/prompts/greeting/usage", ADMIN)[1]["total"]["calls"] == 3
    assert call(gw, "GET", "/api/prompts/greeting/usage?workload=test", ADMIN)[1]["total"]["calls"] == 1
    missing = call(gw, "GET", "/api/prompts/no-such-prompt/usage", other_key)
    elsewhere = call(gw, "GET", "/api/prompts/support-answer/usage", other_key)
    assert missing[0] == elsewhere[0] == 404  # another workload's prompt is as missing as a missing one
    assert call(gw, "GET", "/api/prompts/support-answer/usage?workload=test", other_key)[0] == 404
    assert call(gw, "GET", "/api/prompts/support-answer/usage", test_key)[1]["total"]["calls"] == 14


@pytest.mark.parametrize(
    ("path", "status", "param"),
    [
        ("/api/prompts/support-answer/usage?since=yesterday", 400, "since"),
        ("/api/prompts/support-answer/usage?since=1d&until=2d", 400, "since"),
        ("/api/prompts/support-answer/usage?workload=" + "w" * 65, 400, "workload"),
        ("/api/prompts/bad%20name!/usage", 404, "name"),  # a name that cannot exist is not found, as on every route
        ("/api/prompts/" + "x" * 200 + "/usage", 404, "name"),
    ],
)
def test_bad_usage_queries_are_a_4xx_naming_the_parameter(gw: Gateway, path: str, status: int, param: str) -> None:
    answer, body = call(gw, "GET", path, ADMIN)
    assert answer == status, body
    assert body["error"]["param"] == param


def test_cli_prints_usage_and_the_cost_report_groups_by_prompt(gw: Gateway) -> None:
    gw.flush()

    def usage(*args: str, key: str = ADMIN) -> Result:
        return CliRunner().invoke(cli, ["prompts", "usage", *args, "--server", gw.base_url, "--key", key])

    result = usage("support-answer", "--workload", "test", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [v["calls"] for v in json.loads(result.output)["versions"]] == [4, 10]
    table = usage("support-answer", "--since", "30d")
    assert table.exit_code == 0 and "TOTAL" in table.output and "15" in table.output, table.output
    other = usage("support-answer", key=gw.create_key("other").secret)  # a user mistake: one line, no traceback
    assert isinstance(other.exception, NotFound) and "support-answer" in str(other.exception)
    bad = usage("support-answer", "--since", "soon")
    assert isinstance(bad.exception, InvalidRequest) and "since" in str(bad.exception)

    report = run_cli(gw, ["cost", "report", "--by", "prompt_version", "--since", "7d", "--format", "json"])
    assert report.exit_code == 0, report.output
    rows = {r["key"]: r["requests"] for r in json.loads(report.output)["rows"]}
    assert rows == {"support-answer@1": 10, "support-answer@2": 4, "greeting@1": 3}
    by_prompt = run_cli(gw, ["cost", "report", "--by", "prompt", "--workload", "other", "--format", "json"])
    assert {r["key"]: r["requests"] for r in json.loads(by_prompt.output)["rows"]} == {"greeting": 2}


def test_calls_through_the_gateway_with_a_prompt_reference_show_in_its_usage(gw: Gateway) -> None:
    engine, lax = gw.state.engine, PromptsConfig(default=ReviewPolicy(approvals_required=0))
    content = PromptContent.from_json({"messages": [{"role": "system", "content": "Triage {{ticket}}."}]})
    version = create_version(engine, workload="test", name="triage", content=content, message="m",
                             actor=Actor.server_admin()).version.version  # fmt: skip
    move_label(engine, lax, workload="test", name="triage", label="production", version=version, reason="r",
               actor=Actor.server_admin())  # fmt: skip
    gw.call(gw.state.slots[CATALOG].refresh)
    client = gw.sdk(gw.create_key("test").secret)
    for ticket in ("t1", "t2", "t3"):
        reference = {"prompt": {"id": "triage", "variables": {"ticket": ticket}}}
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "go"}], extra_body=reference
        )
    gw.flush()
    status, body = call(gw, "GET", "/api/prompts/triage/usage", ADMIN)
    assert status == 200, body
    [only] = body["versions"]
    assert (only["version"], only["calls"], only["errors"]) == (version, 3, 0)
    assert only["p50_ms"] is not None and only["tokens_in"] > 0 and only["cost_nano"] > 0
