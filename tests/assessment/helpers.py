"""Planting evidence through the real APIs: gateway calls with the openai SDK, budgets and attestations via /api/."""

from __future__ import annotations

import urllib.parse
from typing import Any

import openai
from click.testing import CliRunner, Result

from rungway.cli.main import cli
from rungway.domain.keys import KeyKind, Role
from tests.api.http import call
from tests.servers import Gateway

ADMIN = "admin-secret"

ASSESS_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
    account: org-main
models:
  pinned-model:
    provider: sim
    model: gpt-4o-2024-08-06
  marked-pinned:
    provider: sim
    model: my-house-model
    pinned: true
    price: {input: 1.0, output: 2.0}
  floating-model:
    provider: sim
    model: gpt-4o-mini
  unpriced-model:
    provider: sim
    model: my-private-model
workloads:
  good:
    risk_tier: customer-facing
    capture: redacted
  weak:
    risk_tier: regulated
    capture: metadata-only
  idle:
    risk_tier: internal
"""


def chat(gw: Gateway, secret: str, model: str, n: int, user: str | None = None) -> None:
    client = openai.OpenAI(base_url=gw.openai_base, api_key=secret, max_retries=0)
    extra: dict[str, Any] = {"user": user} if user else {}
    for i in range(n):
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": f"hello {i}"}], **extra)


def api(gw: Gateway, method: str, path: str, body: Any = None, key: str = ADMIN, **params: str) -> tuple[int, Any]:
    """(status, JSON body) of a management API call with the admin key (or `key`)."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    return call(gw, method, path + query, key, body)


def set_budget(gw: Gateway, name: str, scope: str, workload: str, user: str | None = None, hard: bool = True) -> None:
    body = {"name": name, "scope": scope, "amount_usd": 100, "workload": workload, "hard": hard}
    if user:
        body["user"] = user
    status, answer = api(gw, "PUT", "/api/budgets", body)
    assert status in (200, 201), answer


def person_key(gw: Gateway, workload: str, role: Role = Role.ADMIN) -> str:
    """A person's key (only a person may attest): an admin-role one acts on every workload."""
    return gw.create_key(workload, role=role, kind=KeyKind.PERSON, name="ann's key").secret


def attest(gw: Gateway, item: str, workload: str, expires: str = "90d", key: str | None = None) -> tuple[int, Any]:
    body = {"item": item, "workload": workload, "by": "ann", "link": "https://wiki.example/runbook", "expires": expires}
    return api(gw, "POST", "/api/assessment/attestations", body, key=key or person_key(gw, workload))


def assess(gw: Gateway, workload: str | None = None) -> dict[str, dict[str, Any]]:
    """Flush every writer, run an assessment through the API, return reports by workload."""
    gw.flush()
    params = {"workload": workload} if workload else {}
    status, run = api(gw, "POST", "/api/assessments", **params)
    assert status == 200, run
    return {w["workload"]: w for w in run["workloads"]}


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["item"]: r["verdict"] for r in report["items"]}


def run_cli(gw: Gateway, args: list[str]) -> Result:
    """`rungway ARGS` in this process against the gateway's store (the CLI reads the store directly)."""
    return CliRunner().invoke(
        cli, args, env={"RUNGWAY_DATABASE_URL": gw.state.config.database_url, "RUNGWAY_CONFIG": None}
    )
