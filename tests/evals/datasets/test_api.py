"""/api/datasets on both stores: imports of every format, idempotent versions, paging, export, scoping, 4xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.evals.support import SAMPLES, get_text, run_cli, server
from tests.servers import Gateway

CASES: list[dict[str, Any]] = [
    {"key": "refund-1", "vars": {"question": "How do I get a refund?"}, "expected": "Press Refund.",
     "assert": [{"type": "icontains", "value": "refund"}], "tags": ["billing"]},
    {"vars": {"question": "Where is my parcel?"}, "metadata": {"topic": "shipping"}},
    {"key": "chat-1", "messages": [{"role": "user", "content": "Capital of Italy?"}], "expected": "Rome"},
]  # fmt: skip


def _post(gw: Gateway, key: str, name: str = "support-qa", **extra: Any) -> tuple[int, Any]:
    return call(gw, "POST", "/api/datasets", key, {"name": name, "cases": CASES, **extra})


@pytest.mark.parametrize(
    ("sample", "keys", "defaults"),
    [
        ("cases.jsonl", ["refund-1", None, "chat-1"], ["not-icontains"]),
        ("cases.csv", ["refund-1", "parcel-1", "math-1", None], []),
        ("cases.yaml", ["refund-1", None, "chat-1"], ["not-icontains"]),
        ("promptfooconfig.yaml", [None, None], ["not-icontains"]),
    ],
)
def test_each_file_format_imports_through_the_cli_and_reads_back_over_http(
    gateway_factory: Callable[..., Gateway], store_url: str, sample: str, keys: list[str | None], defaults: list[str]
) -> None:
    gw = server(gateway_factory, store_url)
    viewer = gw.create_key("test", role=Role.VIEWER)
    made = run_cli(store_url, "datasets", "import", str(SAMPLES / sample), "--name", "qa", "--workload", "test")
    assert made.exit_code == 0, made.output
    assert "created qa@1" in made.output

    status, version = call(gw, "GET", "/api/datasets/qa/versions/latest", viewer.secret)
    assert status == 200 and version["case_count"] == len(keys)
    assert [a["type"] for a in version["default_assertions"]] == defaults
    got = [c["key"] for c in version["cases"]]
    for want, key in zip(keys, got, strict=True):
        assert key == want if want else key.startswith("c-")
    again = run_cli(store_url, "datasets", "import", str(SAMPLES / sample), "--name", "qa", "--workload", "test")
    assert again.exit_code == 0 and "unchanged: qa@1" in again.output


def test_promptfoo_default_vars_merge_into_each_case_and_csv_expected_becomes_an_assertion(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    for sample in ("promptfooconfig.yaml", "cases.csv"):
        result = run_cli(store_url, "datasets", "import", str(SAMPLES / sample), "-w", "test")
        assert result.exit_code == 0, result.output
    _, foo = call(gw, "GET", "/api/datasets/promptfooconfig/versions/1?workload=test", ADMIN)
    assert [c["vars"]["language"] for c in foo["cases"]] == ["en", "fr"]
    assert foo["cases"][0]["metadata"] == {"description": "refund path"}
    assert foo["cases"][0]["assert"][1] == {"type": "llm-rubric", "value": "Polite, and names the Orders page",
                                            "threshold": 0.7}  # fmt: skip
    _, csv = call(gw, "GET", "/api/datasets/cases/versions/1?workload=test", ADMIN)
    refund, _, math, french = csv["cases"]
    assert refund["assert"] == [{"type": "icontains", "value": "refund"}, {"type": "not-contains", "value": "sorry"}]
    assert refund["tags"] == ["billing", "refund"] and refund["metadata"] == {"topic": "billing",
                                                                              "description": "Refund path"}  # fmt: skip
    assert math["expected"] == "4" and math["assert"] == [{"type": "equals"}]
    assert french["assert"][0]["threshold"] == 0.7 and french["assert"][1] == {"type": "is-json"}


def test_the_same_cases_are_the_same_version_and_different_ones_the_next(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    dev = gw.create_key("test")
    status, first = _post(gw, dev.secret)
    assert status == 201 and first["created"] and first["ref"] == "support-qa@1" and first["workload"] == "test"
    status, again = _post(gw, dev.secret)
    assert status == 200 and not again["created"] and again["content_hash"] == first["content_hash"]
    status, second = call(gw, "POST", "/api/datasets", dev.secret, {"name": "support-qa", "cases": CASES[:2]})
    assert status == 201 and second["version"] == 2
    status, versions = call(gw, "GET", "/api/datasets/support-qa", dev.secret)
    assert status == 200 and [v["version"] for v in versions["data"]] == [2, 1]
    status, listed = call(gw, "GET", "/api/datasets", dev.secret)
    assert [(d["name"], d["latest_version"], d["case_count"]) for d in listed["data"]] == [("support-qa", 2, 2)]


def test_cases_are_paged_and_export_imports_back_to_the_same_version(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    dev = gw.create_key("test")
    many = [{"key": f"k{i:03d}", "vars": {"n": i}} for i in range(250)]
    body = {"name": "big", "cases": many, "defaultTest": {"assert": [{"type": "contains", "value": "x"}]}}
    status, made = call(gw, "POST", "/api/datasets", dev.secret, body)
    assert status == 201 and made["case_count"] == 250
    _, page = call(gw, "GET", "/api/datasets/big/versions/1?offset=200&limit=100", dev.secret)
    assert [c["key"] for c in page["cases"]] == [f"k{i:03d}" for i in range(200, 250)] and page["next_offset"] is None
    _, page = call(gw, "GET", "/api/datasets/big/versions/1?limit=100", dev.secret)
    assert len(page["cases"]) == 100 and page["next_offset"] == 100

    status, kind, text = get_text(gw, "/api/datasets/big/versions/1/export", dev.secret)
    lines = [json.loads(line) for line in text.splitlines()]
    assert status == 200 and kind.startswith("application/x-ndjson") and len(lines) == 251
    assert lines[0] == {"defaultTest": {"assert": [{"type": "contains", "value": "x"}]}}
    status, whole = call(gw, "GET", "/api/datasets/big/versions/latest/export?format=json", dev.secret)
    assert status == 200 and [c["key"] for c in whole["cases"]] == [c["key"] for c in lines[1:]]
    again = run_cli(gw.config.database_url, "datasets", "create", "big", "-w", "test", stdin=text)
    assert again.exit_code == 0 and "unchanged: big@1" in again.output


def test_a_key_never_sees_or_writes_another_workloads_datasets_and_shared_ones_are_read_by_all(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    mine, theirs = gw.create_key("test"), gw.create_key("other")
    assert _post(gw, mine.secret)[0] == 201
    for path in ("/api/datasets/support-qa", "/api/datasets/support-qa/versions/1",
                 "/api/datasets/support-qa/versions/1/export", "/api/datasets/support-qa?workload=test"):  # fmt: skip
        status, body = call(gw, "GET", path, theirs.secret)
        assert status == 404, path
        assert "support-qa" in body["error"]["message"] or "workload" in body["error"]["message"]
    assert call(gw, "GET", "/api/datasets", theirs.secret)[1]["data"] == []
    status, body = _post(gw, theirs.secret, workload="test")
    assert status == 403 and body["error"]["param"] == "workload"
    # Their own dataset of the same name is theirs alone.
    assert _post(gw, theirs.secret)[0] == 201
    assert call(gw, "GET", "/api/datasets/support-qa/versions/1", mine.secret)[1]["workload"] == "test"

    status, body = _post(gw, mine.secret, name="common", shared=True)
    assert status == 403 and body["error"]["param"] == "shared"
    status, shared = _post(gw, ADMIN, name="common", shared=True)
    assert status == 201 and shared["workload"] is None
    for key in (mine.secret, theirs.secret):
        assert call(gw, "GET", "/api/datasets/common/versions/latest", key)[0] == 200
    status, body = _post(gw, mine.secret, name="common")
    assert status == 409 and body["error"]["code"] == "dataset_name_taken"
    status, body = _post(gw, ADMIN, name="support-qa", shared=True)
    assert status == 409
    viewer = gw.create_key("test", role=Role.VIEWER)
    assert _post(gw, viewer.secret)[0] == 403
    assert {d["workload"] for d in call(gw, "GET", "/api/datasets?all=true", ADMIN)[1]["data"]} == {None, "test",
                                                                                                   "other"}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        (
            {"name": "x", "cases": [{"vars": {"q": 1}}, {"vars": {"q": 2}, "assert": [{"type": "contans"}]}]},
            "type",
            "cases[1] assert[0]: type: unknown assertion type 'contans'",
        ),
        ({"name": "x", "cases": [{"expected": "only"}]}, "vars", "cases[0]: vars: a case needs vars or messages"),
        ({"name": "x", "cases": [{"vars": {"q": 1}, "vaars": {}}]}, "cases.0.vaars", "unknown field"),
        (
            {"name": "x", "cases": [{"key": "a", "vars": {"q": 1}}, {"key": "a", "vars": {"q": 2}}]},
            "key",
            "cases[1]: key: 'a' is also the key of the case at cases[0]",
        ),
        ({"name": "bad name!", "cases": [{"vars": {"q": 1}}]}, "name", "does not have the expected form"),
        ({"name": "x", "cases": []}, "cases", "cases"),
        (
            {"name": "x", "cases": [{"vars": {"q": 1}, "assert": [{"type": "regex", "value": "("}]}]},
            "value",
            "cases[0] assert[0]: value",
        ),
        ({"name": "x", "cases": [{"messages": [{"content": "no role"}]}]}, "cases.0.messages.0.role", "required"),
        (
            {"name": "x", "cases": [{"vars": {"q": 1}, "assert": [{"type": "python", "value": "json:loads"}]}]},
            "type",
            "a server never imports code a request names",
        ),
    ],
)
def test_bad_cases_are_refused_with_a_400_naming_the_case_and_field(
    gateway_factory: Callable[..., Gateway], store_url: str, body: dict[str, Any], param: str, words: str
) -> None:
    gw = server(gateway_factory, store_url)
    status, answer = call(gw, "POST", "/api/datasets", gw.create_key("test").secret, body)
    assert status == 400, answer
    assert answer["error"]["param"] == param and words in answer["error"]["message"]
    assert call(gw, "GET", "/api/datasets", ADMIN)[1]["data"] == []


def test_unknown_names_and_versions_are_404s_not_500s(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gw = server(gateway_factory, store_url)
    dev = gw.create_key("test")
    assert _post(gw, dev.secret)[0] == 201
    for path in ("/api/datasets/nope", "/api/datasets/support-qa/versions/7", "/api/datasets/support-qa/versions/x",
                 "/api/datasets/support-qa/versions/99999999999", "/api/datasets/%2e%2e/versions/1"):  # fmt: skip
        assert call(gw, "GET", path, dev.secret)[0] == 404, path
    assert call(gw, "GET", "/api/datasets/support-qa/versions/1?limit=0", dev.secret)[0] == 400
    assert call(gw, "POST", "/api/datasets", dev.secret, {"name": "x", "cases": [{"vars": {}}] * 2})[0] == 400
