"""The leak walk: keys of workload A may neither read nor change anything of workload B, on any /api route.

Routes are discovered from /api/openapi.json (one test per route), so a capability added later is
walked without editing this file. B's data is seeded through real calls and the API: keys, gateway
calls (logs, usage, cost, spans), an OTLP export, a budget with a webhook and its events, an
assessment, an attestation and a claim. Each route is called with A's viewer and developer keys,
aiming at B with every identifier of B that fits its path, query and body. It fails when

- an answer holds a marker of B (an id, a name, a prompt, a user, a webhook token, B's model)
  that the request did not itself send, or
- B's data, read by the admin before and after, changed.
"""

from __future__ import annotations

import itertools
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rungway.api.routes import openapi_document, routers
from tests.api.http import ADMIN
from tests.conftest import SIMULATOR_CONFIG
from tests.gateway.test_raw_http import http
from tests.servers import Gateway, write_config
from tests.traces.otlp_helpers import raw_export

A, B = "wl-alpha", "wl-bravo"
B_MODEL = "bravo-only-model"  # only B calls it: its name or upstream id in an answer to A are B's calls
B_UPSTREAM_MODEL = "bravo-upstream-" + secrets.token_hex(4)
B_WEBHOOK_TOKEN = "bravo-webhook-" + secrets.token_hex(4)
ROUTES = [(method.upper(), path) for path, ops in openapi_document(routers())["paths"].items() for method in ops]


@dataclass
class Seeded:
    """A gateway holding B's data, A's keys, and what identifies B."""

    gateway: Gateway
    keys_of_a: dict[str, str]
    markers: set[str] = field(default_factory=set)
    ids: dict[str, list[str]] = field(default_factory=dict)  # path/query/body names -> B's values for them


def _api(gw: Gateway, method: str, path: str, key: str = ADMIN, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    status, _, raw = http(
        gw.base_url + path, data, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, method
    )
    return status, json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw.decode()


def _chat(gw: Gateway, secret: str, model: str, user: str, prompt: str, **headers: str) -> tuple[int, dict[str, str]]:
    body = {"model": model, "user": user, "messages": [{"role": "user", "content": prompt}]}
    status, answer_headers, _ = http(
        gw.openai_base + "/chat/completions",
        json.dumps({**body, "metadata": {"bravo_tag": user + "-tag"}}).encode(),
        {"Authorization": f"Bearer {secret}", "Content-Type": "application/json", **headers},
    )
    return status, answer_headers


def _seed_b(gw: Gateway, seeded: Seeded, shared_trace: str) -> None:
    """B's data; one of B's calls joins A's trace `shared_trace` (ordinary distributed tracing)."""
    marker = "bravo-" + secrets.token_hex(4)
    status, created = _api(
        gw, "POST", "/api/keys", body={"workload": B, "name": f"{marker}-key", "owner": f"{marker}-owner"}
    )
    assert status == 201, created
    b_key, b_secret = created["key"], created["secret"]
    status, _ = _api(
        gw, "PATCH", f"/api/workloads/{B}", body={"description": f"{marker}-description", "team": f"{marker}-team"}
    )
    assert status == 200
    trace_ids, request_ids = [], []
    for prompt_no, model in enumerate(["gpt-4o", B_MODEL]):
        status, headers = _chat(
            gw,
            b_secret,
            model,
            f"{marker}-user",
            f"{marker}-prompt-{prompt_no}",
            **{"x-rungway-session-id": f"{marker}-session"},
        )
        assert status == 200
        trace_ids.append(headers["x-rungway-trace-id"])
        request_ids.append(headers["x-request-id"])
    status, _ = _chat(
        gw,
        b_secret,
        "gpt-4o",
        f"{marker}-user",
        f"{marker}-prompt-joined",
        traceparent=f"00-{shared_trace}-{'ab' * 8}-01",
    )
    assert status == 200
    otlp_trace = secrets.token_bytes(16)
    status, _, _ = http(
        gw.base_url + "/v1/traces",
        raw_export(
            otlp_trace, [f"{marker}-otlp-root", f"{marker}-otlp-child"], {"gen_ai.prompt": f"{marker}-otlp-prompt"}
        ),
        {"Authorization": f"Bearer {b_secret}", "Content-Type": "application/x-protobuf"},
    )
    assert status == 200
    trace_ids.append(otlp_trace.hex())
    budget = {
        "name": f"{marker}-budget",
        "scope": "workload",
        "workload": B,
        "amount_usd": "0.000001",
        "webhook_url": f"http://127.0.0.1:9/alerts?token={B_WEBHOOK_TOKEN}",
    }
    status, answer = _api(gw, "PUT", "/api/budgets", body=budget)
    assert status == 200, answer
    status, _ = _chat(gw, b_secret, "gpt-4o", f"{marker}-user", f"{marker}-prompt-blocked")
    assert status == 429  # the budget blocks: a budget event of B
    status, _ = _api(gw, "POST", f"/api/assessments?workload={B}", b_secret)
    assert status == 200
    attestation = {
        "item": "on_call_rotation",
        "workload": B,
        "by": f"{marker}-attester",
        "link": f"https://{marker}.example/rota",
    }
    person = {"workload": B, "name": f"{marker}-person-key", "kind": "person"}  # only a person's key may attest
    status, created = _api(gw, "POST", "/api/keys", body=person)
    assert status == 201, created
    status, answer = _api(gw, "POST", "/api/assessment/attestations", created["secret"], attestation)
    assert status == 201, answer
    status, _ = _api(gw, "PUT", f"/api/assessment/claims/{B}", b_secret, {"stage": 3, "by": f"{marker}-claimant"})
    assert status == 200
    dataset = {"name": f"{marker}-dataset", "cases": [{"key": f"{marker}-case", "vars": {"q": f"{marker}-question"}}]}
    status, made = _api(gw, "POST", "/api/datasets", b_secret, dataset)
    assert status == 201, made
    run = {"dataset": f"{marker}-dataset", "dataset_version": "1", "prompt": f"{marker}-prompt", "prompt_version": 1}
    status, started = _api(gw, "POST", "/api/eval-runs", b_secret, run)
    assert status == 201, started
    result = {"case_key": f"{marker}-case", "passed": True, "output": f"{marker}-eval-output"}
    status, _ = _api(gw, "POST", f"/api/eval-runs/{started['id']}/results", b_secret, {"results": [result]})
    assert status == 200
    status, _ = _api(gw, "POST", f"/api/eval-runs/{started['id']}/finish", b_secret, {"status": "finished"})
    assert status == 200
    gw.flush()
    seeded.markers |= {started["id"]}
    seeded.markers |= {marker, B, b_key["id"], b_key["prefix"], B_WEBHOOK_TOKEN, f'"{B_MODEL}"', B_UPSTREAM_MODEL}
    seeded.markers |= set(trace_ids) | set(request_ids)
    seeded.ids = {
        "workload": [B],
        "name": [B, f"{marker}-budget"],
        "key_id": [b_key["id"], b_key["prefix"]],
        "trace_id": [*trace_ids, shared_trace],  # A's trace holds a span of B
        "budget": [f"{marker}-budget"],
        "user": [f"{marker}-user"],
        "session": [f"{marker}-session"],
        "model": [B_MODEL],
        "q": [marker],
        "check": ["authentication"],
        "item": ["on_call_rotation"],
        "run_id": [started["id"]],
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    tmp: Path = tmp_path_factory.mktemp("leak-walk")
    config = SIMULATOR_CONFIG.replace("{store_url}", f"sqlite:///{tmp}/rungway.db")
    config = config.replace("models:\n", f"models:\n  {B_MODEL}:\n    provider: sim\n    model: {B_UPSTREAM_MODEL}\n")
    gw = Gateway(write_config(tmp, config + f"  {A}:\n    team: alpha\n  {B}:\n    team: bravo\n"))
    try:
        keys = {
            role: _api(gw, "POST", "/api/keys", body={"workload": A, "role": role})[1]["secret"]
            for role in ("viewer", "developer")
        }
        seeded = Seeded(gw, keys)
        status, headers = _chat(gw, keys["developer"], "gpt-4o-mini", "alpha-user", "alpha prompt")
        assert status == 200
        _seed_b(gw, seeded, shared_trace=headers["x-rungway-trace-id"])
        yield seeded
    finally:
        gw.stop()


def _snapshot_of_b(s: Seeded) -> str:
    """Everything of B the admin can read, as one canonical text (live counters left out)."""
    reads = (
        [
            f"/api/keys?workload={B}&include_revoked=true",
            f"/api/workloads/{B}",
            f"/api/logs?workload={B}&limit=1000",
            f"/api/traces?workload={B}&limit=1000",
            f"/api/assessments?workload={B}",
            f"/api/assessment/attestations?workload={B}",
            "/api/budgets",
            "/api/budget-events?limit=1000",
            "/api/assessment/model",
            f"/api/eval-runs?workload={B}",
        ]
        + [f"/api/traces/{trace_id}" for trace_id in s.ids["trace_id"]]
        + [f"/api/eval-runs/{i}" for i in s.ids["run_id"]]
    )
    snapshot = {}
    for path in reads:
        status, body = _api(s.gateway, "GET", path)
        assert status == 200, (path, body)
        snapshot[path] = body
    text = json.dumps(snapshot, sort_keys=True)
    for live in ("spent_nano", "reserved_nano", "resets_at"):  # moves with the clock and the counters
        text = text.replace(live, "live")
    return text


def _example(name: str, schema: dict[str, Any], s: Seeded) -> list[Any]:
    """Values to send for one body field: B's identifiers where the name fits, else a valid value."""
    if name in s.ids:
        return list(s.ids[name])
    kinds = schema.get("type", "string")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    if "enum" in schema:
        return [schema["enum"][0]]
    defaults: dict[str, Any] = {"string": "x", "integer": schema.get("minimum", 1), "number": 1, "boolean": True}
    return [defaults.get(kind, [] if kind == "array" else {} if kind == "object" else None)]


def _requests(method: str, path: str, op: dict[str, Any], s: Seeded) -> Iterator[tuple[str, Any]]:
    """(path with query, body) aimed at B: every combination of B's ids in the path, then in each query parameter."""
    names = [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]
    choices = [s.ids.get(n, sorted({v for values in s.ids.values() for v in values})) for n in names]
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    bodies: list[Any] = [None]
    if schema is not None:
        props = schema.get("properties", {})
        fields = {k: _example(k, v, s) for k, v in props.items() if k in schema.get("required", []) or k in s.ids}
        bodies = [dict(zip(fields, combo, strict=True)) for combo in itertools.product(*fields.values())]
    for values in itertools.product(*choices):
        concrete = path
        for name, value in zip(names, values, strict=True):
            concrete = concrete.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
        queries = [""] + [
            "?" + urllib.parse.urlencode({p["name"]: v})
            for p in op.get("parameters", [])
            if p["in"] == "query"
            for v in s.ids.get(p["name"], [])
        ]
        for query, body in itertools.product(queries, bodies):
            yield concrete + query, body


WALK = [pytest.param(m, p, id=f"{m} {p}") for m, p in ROUTES]


@pytest.mark.parametrize(("method", "path"), WALK)
def test_keys_of_workload_a_see_and_change_nothing_of_workload_b(seeded: Seeded, method: str, path: str) -> None:
    op = openapi_document(routers())["paths"][path][method.lower()]
    before = _snapshot_of_b(seeded)
    leaks: list[str] = []
    for role, secret in seeded.keys_of_a.items():
        for target, body in _requests(method, path, op, seeded):
            status, answer = _api(seeded.gateway, method, target, secret, body)
            assert status < 500, (role, method, target, answer)
            sent = target + json.dumps(body)
            shown = json.dumps(answer)
            for marker in seeded.markers:
                if marker in shown and urllib.parse.quote(marker, safe="") not in sent and marker not in sent:
                    leaks.append(f"{role} {method} {target} -> {status} shows {marker!r}")
    seeded.gateway.flush()
    assert before == _snapshot_of_b(seeded), f"{method} {path} changed workload {B}'s data"
    assert not leaks, "\n".join(sorted(set(leaks))[:20])


def test_the_walk_covers_every_documented_route() -> None:
    assert len(ROUTES) >= 25
    assert {("GET", "/api/logs"), ("GET", "/api/budgets"), ("GET", "/api/traces/{trace_id}")} <= set(ROUTES)
