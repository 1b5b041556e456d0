"""Imports and attestations through the real API on 127.0.0.1 and the CLI, on SQLite and PostgreSQL: imported CI
runs evidence an item (and say so), only a person's key attests (its id recorded), expiry is capped and read as
people write it, conditions give "not applicable", and every format shows sources, lowered thresholds, over-claims."""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rungway.cli.main import cli
from rungway.domain.keys import KeyKind, Role
from rungway.errors import RungwayError
from tests.assessment.helpers import ADMIN, ASSESS_CONFIG, api, assess, chat, person_key
from tests.servers import Gateway

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
JUNIT = (FIXTURES / "junit.xml").read_text()
PASSING = JUNIT.replace("<failure", "<skipped").replace("</failure>", "</skipped>")


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    config = ASSESS_CONFIG.replace("server:\n", "server:\n  max_body_bytes: 65536\n")
    gateway = gateway_factory(config, store_url=store_url)
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", str(gateway.state.engine.url))
    monkeypatch.setenv("RUNGWAY_CONFIG", gateway.config.source)
    yield gateway


def _import(gw: Gateway, key: str, content: str, **fields: Any) -> tuple[int, Any]:
    """Import as of an hour ago (the fixture's own date would leave the window as the calendar moves on)."""
    body = {"workload": "good", "item": "pre_deployment_tests", "format": "junit", "content": content}
    body["at"] = time.time() - 3600
    return api(gw, "POST", "/api/assessment/imports", body | {"file_name": "ci/junit.xml"} | fields, key=key)


def _item(report: dict[str, Any], item: str) -> dict[str, Any]:
    return next(r for r in report["items"] if r["item"] == item)


def test_imported_ci_runs_evidence_tests_before_deployment_and_say_so(gw: Gateway) -> None:
    app = gw.create_key("good").secret  # the workload's own developer key may import its CI results
    before = _item(assess(gw, "good")["good"], "pre_deployment_tests")
    assert (before["verdict"], before["source"]) == ("not_assessable", "none")
    status, answer = _import(gw, app, JUNIT)
    assert status == 201 and (answer["cases"], answer["passed"], answer["pass_rate_pct"]) == (5, 4, 80.0), answer
    partial = _item(assess(gw, "good")["good"], "pre_deployment_tests")
    assert (partial["verdict"], partial["source"]) == ("partial", "imported")
    status, answer = _import(gw, app, PASSING, commit="9f1c2e7ab", at="2099-01-01T00:00Z")
    assert status == 400 and answer["error"]["param"] == "at"  # a run from the future is refused
    status, _ = _import(gw, app, PASSING, commit="9f1c2e7ab")
    assert status == 201
    met = _item(assess(gw, "good")["good"], "pre_deployment_tests")
    assert (met["verdict"], met["source"]) == ("met", "imported")
    assert [r["commit"] for r in met["evidence"]["runs"]] == ["9f1c2e7ab", None]
    assert met["evidence"]["runs"][0]["file"] == "junit.xml"


def test_import_is_scoped_role_checked_validated_and_bounded(gw: Gateway) -> None:
    other = gw.create_key("weak").secret
    viewer = gw.create_key("good", role=Role.VIEWER).secret
    assert _import(gw, other, PASSING)[0] == 403  # another workload's key
    assert _import(gw, viewer, PASSING)[0] == 403  # a viewer may not add evidence
    status, answer = _import(gw, ADMIN, "<testsuites>\n<testsuite>\n<testcase>\n</testsuite>")
    assert status == 400 and answer["error"]["message"].startswith("junit.xml, line 4: not well-formed XML")
    status, answer = _import(gw, ADMIN, PASSING, item="authentication")
    assert status == 400 and answer["error"]["param"] == "item"
    status, answer = _import(gw, ADMIN, PASSING, format="promptfoo")
    assert status == 400 and "not valid JSON" in answer["error"]["message"]
    status, answer = _import(gw, ADMIN, PASSING, commit="not-a-sha")
    assert status == 400 and answer["error"]["param"] == "commit"
    status, answer = _import(gw, ADMIN, "<testsuite>" + "<testcase name='x'/>" * 5000 + "</testsuite>")
    assert status == 413 and answer["error"]["type"] == "invalid_request_error"  # past server.max_body_bytes


def _attest(gw: Gateway, key: str, item: str = "on_call_rotation", **fields: Any) -> tuple[int, Any]:
    body = {"item": item, "workload": "good", "by": "Ann Lee", "link": "https://wiki.example/oncall"} | fields
    return api(gw, "POST", "/api/assessment/attestations", body, key=key)


def test_only_a_persons_key_with_the_right_role_attests_and_its_id_is_recorded(gw: Gateway) -> None:
    app = gw.create_key("good").secret
    assert _attest(gw, app)[1]["error"]["code"] == "person_key_required"  # a workload's application key
    assert _attest(gw, ADMIN)[0] == 403  # the server's admin key is no one in particular
    viewer = gw.create_key("good", role=Role.VIEWER, kind=KeyKind.PERSON).secret
    assert _attest(gw, viewer)[0] == 403  # a person, but not allowed to change anything
    elsewhere = person_key(gw, "weak", role=Role.DEVELOPER)
    assert _attest(gw, elsewhere)[0] == 403  # a person of another workload
    ann = gw.create_key("good", role=Role.DEVELOPER, kind=KeyKind.PERSON)
    status, made = _attest(gw, ann.secret)
    assert status == 201 and made["acting_key"] == ann.key.id and made["by"] == "Ann Lee"
    status, listed = api(gw, "GET", "/api/keys", workload="good")
    assert {k["kind"] for k in listed["data"]} == {"application", "person"}
    result = _item(assess(gw, "good")["good"], "on_call_rotation")
    assert (result["verdict"], result["source"]) == ("attested", "attested")
    assert result["evidence"]["acting_key"] == ann.key.id and result["evidence"]["by"] == "Ann Lee"


def test_attestation_expiry_is_capped_and_read_as_people_write_it(gw: Gateway) -> None:
    ann = person_key(gw, "good", role=Role.DEVELOPER)
    status, answer = _attest(gw, ann, expires="1m")
    assert status == 400 and "ambiguous (a minute or a month?): write 1min or 1mo" in answer["error"]["message"]
    status, answer = _attest(gw, ann, expires="1y")
    assert status == 400 and "longer than the 90 days" in answer["error"]["message"]
    status, made = _attest(gw, ann, expires="12w")
    assert status == 201 and made["expires_at"] - made["created_at"] == pytest.approx(84 * 86400)
    status, made = _attest(gw, ann)
    assert status == 201 and made["expires_at"] - made["created_at"] == pytest.approx(90 * 86400)


def test_max_attestation_may_allow_a_year(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(ASSESS_CONFIG + "assessment:\n  max_attestation: 1y\n")
    status, made = _attest(gw, person_key(gw, "good"), expires="1y")
    assert status == 201 and made["expires_at"] - made["created_at"] == pytest.approx(365 * 86400)


def test_conditional_items_are_not_applicable_by_risk_tier_or_by_attestation(gw: Gateway) -> None:
    ann = person_key(gw, "good")
    status, answer = _attest(gw, ann, not_applicable=True)
    assert status == 400 and answer["error"]["param"] == "not_applicable"  # on-call applies to everyone
    status, answer = _attest(gw, ann, item="authentication")
    assert status == 400 and "cannot be attested" in answer["error"]["message"]  # evidence exists: no sign-off
    assert _attest(gw, ann, item="multi_tenant_isolation", not_applicable=True)[0] == 201
    reports = assess(gw)
    tenants = _item(reports["good"], "multi_tenant_isolation")
    assert (tenants["verdict"], tenants["source"]) == ("not_applicable", "attested")
    audit_internal = _item(reports["good"], "audit_trails")  # customer-facing: "for regulated workloads"
    assert (audit_internal["verdict"], audit_internal["source"]) == ("not_applicable", "risk_tier")
    assert _item(reports["weak"], "audit_trails")["verdict"] == "unmet"  # regulated: it applies, and no trail was kept
    status, model = api(gw, "GET", "/api/assessment/model")
    items = {i["id"]: i for i in model["items"]}
    assert items["audit_trails"]["condition"] == {"text": "for regulated workloads", "risk_tiers": ["regulated"]}
    assert items["pre_deployment_tests"]["imports"]["formats"] == ["promptfoo", "junit"]


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_import_and_its_errors_name_the_file_line_and_fix(gw: Gateway, tmp_path: Path) -> None:
    out = _cli("assess", "import", "--workload", "good", "--item", "basic_red_teaming", "--format", "promptfoo",
               str(FIXTURES / "promptfoo_redteam.json"), "--commit", "abc1234", "--at", "1d")  # fmt: skip
    assert "imported promptfoo run for good / basic_red_teaming: 37/42 passed (88.1%)" in out
    result = _item(json.loads(_cli("assess", "--workload", "good", "--format", "json"))["workloads"][0],
                   "basic_red_teaming")  # fmt: skip
    assert (result["verdict"], result["source"]) == ("met", "imported")  # any red-team run in 90 days counts
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "results": {\n    "stats": {\n')
    with pytest.raises(RungwayError) as caught:
        CliRunner().invoke(cli, ["assess", "import", "--workload", "good", "--item", "pre_deployment_tests",
                                 "--format", "promptfoo", str(broken)], catch_exceptions=False)  # fmt: skip
    message = caught.value.message
    assert message.startswith(f"{broken.name}, line 4: not valid JSON") and "Fix:" in message
    missing = str(tmp_path / "missing.xml")
    with pytest.raises(RungwayError, match=r"cannot read it .*Fix: pass the path"):
        CliRunner().invoke(cli, ["assess", "import", "--workload", "good", "--item", "pre_deployment_tests",
                                 "--format", "junit", missing], catch_exceptions=False)  # fmt: skip


def test_every_format_shows_sources_stages_lowered_thresholds_over_claims_and_the_next_three(gw: Gateway) -> None:
    key = gw.create_key("good")
    chat(gw, key.secret, "pinned-model", 4, user="u1")
    gw.flush()
    _cli("assess", "threshold", "user_cost_attribution", "--value", "0.5")
    _cli("assess", "claim", "--workload", "good", "--stage", "3")
    _cli("assess", "attest", "on_call_rotation", "--workload", "good", "--by", "ann", "--link", "https://w/x")
    outputs = {fmt: _cli("assess", "--workload", "good", "--format", fmt, "--no-save")
               for fmt in ("table", "markdown", "html", "json")}  # fmt: skip
    outputs["html"] = html.unescape(outputs["html"])
    for fmt, out in outputs.items():
        assert "lowered to 50% from the model's 95%" in out, fmt
        # an item a person may attest says how, where its check has nothing to assess (no prompt library here)
        assert "rungway assess attest manual_prompt_review --workload " in out, fmt
    on_call = _item(json.loads(outputs["json"])["workloads"][0], "on_call_rotation")
    assert (on_call["verdict"], on_call["source"]) == ("attested", "attested")
    for fmt in ("table", "markdown", "html"):
        out = outputs[fmt]
        assert "Over-claim: good claims stage 3 (Disciplined production) but its evidence shows stage 1" in out, fmt
        assert all(name in out for name in ("Initial production", "Disciplined production", "Platform")), fmt
    for fmt in ("table", "markdown"):
        out = outputs[fmt]
        assert "Evidence behind it:" in out and "Next investments, in order:" in out, fmt
        assert "1. Basic logging" in out and "3. " in out, fmt
    report = json.loads(outputs["json"])["workloads"][0]
    assert report["over_claim"] is True and len(report["next_investments"]) == 3
    assert _item(report, "on_call_rotation")["source"] == "attested"
    assert _item(report, "on_call_rotation")["evidence"]["acting_key"] == "cli"
