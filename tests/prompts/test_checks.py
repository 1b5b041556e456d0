"""The prompt library's evidence checks (prompts/checks.py) on seeded stores, SQLite and PostgreSQL: the share
of chat calls that rendered a library prompt, and protected-label moves approved by another person; met,
partial, unmet, not assessable, and attested for teams that review prompts elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.ids import new_id
from rungway.domain.keys import KeyKind, Role
from rungway.domain.records import RequestRecord
from rungway.prompts.config import PromptsConfig, ReviewPolicy
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label, review
from rungway.prompts.template import PromptContent
from rungway.store.requests import insert_requests
from tests.assessment.helpers import ASSESS_CONFIG, api, assess, attest
from tests.servers import Gateway

CONFIG = (
    ASSESS_CONFIG
    + """
  lib:
    risk_tier: internal
  mixed:
    risk_tier: internal
  code:
    risk_tier: internal
  quiet:
    risk_tier: internal
"""
)
STRICT = PromptsConfig()  # production is protected and needs one approval
LAX = PromptsConfig(default=ReviewPolicy(approvals_required=0))  # a policy that lets production move unreviewed
DAY = 86_400.0


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _person(name: str, workload: str) -> Actor:
    return Actor(name, f"key_{name}", Role.DEVELOPER, KeyKind.PERSON, workload)


def _content(text: str) -> PromptContent:
    return PromptContent.from_json({"messages": [{"role": "system", "content": text}], "model": "gpt-4o-mini"})


def _release(gw: Gateway, workload: str, name: str, text: str, *, approved: bool, now: float | None = None) -> int:
    """ann writes a version; bob approves it (or nobody does, under a policy of 0); ann moves production."""
    engine, ann, bob = gw.state.engine, _person("ann", workload), _person("bob", workload)
    version = create_version(engine, workload=workload, name=name, content=_content(text), message="m", actor=ann)
    number = version.version.version
    if approved:
        review(engine, STRICT, workload=workload, name=name, version=number, decision="approve", comment="ok",
               actor=bob, now=now)  # fmt: skip
    move_label(engine, STRICT if approved else LAX, workload=workload, name=name, label="production",
               version=number, reason="ship", actor=ann, now=now)  # fmt: skip
    return number


def _calls(gw: Gateway, workload: str, n: int, prompt: tuple[str, int] | None = None, status: int = 200) -> None:
    now = time.time()
    name, version = prompt if prompt else (None, None)
    insert_requests(gw.state.engine, [
        RequestRecord(id=new_id("req_"), ts_start=now - 60, ts_end=now - 59, workload=workload, key_id="key_app",
                      user="u1", team=None, model_resolved="gpt-4o-2024-08-06", status=status, latency_ms=20.0,
                      prompt_name=name, prompt_version=version)
        for _ in range(n)
    ])  # fmt: skip


def _items(gw: Gateway) -> dict[str, dict[str, dict[str, Any]]]:
    return {w: {i["item"]: i for i in r["items"]} for w, r in assess(gw).items()}


def test_prompt_library_is_the_share_of_successful_chat_calls_that_rendered_a_library_prompt(gw: Gateway) -> None:
    v1 = _release(gw, "lib", "support-answer", "Answer politely.", approved=True)
    v2 = _release(gw, "lib", "support-answer", "Answer politely and briefly.", approved=True)
    _calls(gw, "lib", 3, ("support-answer", v1))
    _calls(gw, "lib", 6, ("support-answer", v2))
    _calls(gw, "lib", 1)  # one call still sends its prompt inline
    _calls(gw, "mixed", 2, ("faq", 1))
    _calls(gw, "mixed", 8)
    _calls(gw, "code", 5)
    _calls(gw, "code", 4, ("faq", 1), status=500)  # failed calls are not successful chat calls
    items = _items(gw)

    lib = items["lib"]["prompt_library"]
    assert (lib["verdict"], lib["source"]) == ("met", "evidenced"), lib
    assert lib["evidence"]["with_library_prompt_pct"] == 90.0
    assert lib["evidence"]["versions"] == {f"support-answer@{v2}": 6, f"support-answer@{v1}": 3}
    assert lib["threshold"].startswith(">= 80%")
    mixed = items["mixed"]["prompt_library"]
    assert mixed["verdict"] == "partial" and mixed["evidence"]["with_library_prompt"] == 2
    code = items["code"]["prompt_library"]
    assert code["verdict"] == "unmet" and code["evidence"]["successful_chat_calls"] == 5
    assert code["evidence"]["with_library_prompt"] == 0
    assert items["quiet"]["prompt_library"]["verdict"] == "not_assessable"


def test_manual_prompt_review_met_partial_and_unmet_from_protected_label_moves(gw: Gateway) -> None:
    long_ago = time.time() - 60 * DAY
    _release(gw, "lib", "support-answer", "Old text.", approved=False, now=long_ago)  # outside the window
    reviewed = _release(gw, "lib", "support-answer", "Answer politely.", approved=True)
    _calls(gw, "lib", 4, ("support-answer", reviewed))
    _release(gw, "mixed", "faq", "Answer from the FAQ.", approved=False)
    faq = _release(gw, "mixed", "faq", "Answer from the FAQ only.", approved=True)
    _calls(gw, "mixed", 3, ("faq", faq))
    _release(gw, "code", "triage", "Sort the ticket.", approved=False)
    items = _items(gw)

    lib = items["lib"]["manual_prompt_review"]
    assert (lib["verdict"], lib["source"]) == ("met", "evidenced"), lib
    assert lib["evidence"]["protected_moves"] == 1 and lib["evidence"]["moves"][0]["approvers"] == ["bob"]
    assert lib["evidence"]["calls_on_reviewed_versions"] == 4
    mixed = items["mixed"]["manual_prompt_review"]
    assert mixed["verdict"] == "partial" and mixed["evidence"]["reviewed_moves"] == 1, mixed
    assert [m["reviewed"] for m in mixed["evidence"]["moves"]] == [True, False]  # newest first
    code = items["code"]["manual_prompt_review"]
    assert code["verdict"] == "unmet" and code["evidence"]["moves"][0]["by"] == "ann"
    assert "0 of 1 protected-label moves" in code["reason"]


def test_calls_on_a_version_that_never_reached_a_protected_label_with_approval_are_not_reviewed(gw: Gateway) -> None:
    reviewed = _release(gw, "lib", "support-answer", "Answer politely.", approved=True)
    engine = gw.state.engine
    draft = create_version(engine, workload="lib", name="support-answer", content=_content("Draft."), message="wip",
                           actor=_person("ann", "lib")).version.version  # fmt: skip
    _calls(gw, "lib", 3, ("support-answer", reviewed))
    _calls(gw, "lib", 1, ("support-answer", draft))  # called by `label: latest`, never reviewed
    item = _items(gw)["lib"]["manual_prompt_review"]
    assert item["verdict"] == "partial", item
    assert item["evidence"]["unreviewed_versions"] == {f"support-answer@{draft}": 1}


def test_manual_prompt_review_stays_attestable_for_teams_that_review_prompts_elsewhere(gw: Gateway) -> None:
    model = {i["id"]: i for i in api(gw, "GET", "/api/assessment/model")[1]["items"]}
    assert model["manual_prompt_review"]["attestable"] and model["manual_prompt_review"]["check"] is not None
    assert not model["prompt_library"]["attestable"] and not model["authentication"]["attestable"]
    _calls(gw, "quiet", 3)  # prompts in application code: the library has nothing to show
    before = _items(gw)["quiet"]["manual_prompt_review"]
    assert before["verdict"] == "not_assessable" and "rungway assess attest manual_prompt_review" in before["reason"]
    status, body = attest(gw, "manual_prompt_review", "quiet")
    assert status == 201, body
    after = _items(gw)["quiet"]["manual_prompt_review"]
    assert (after["verdict"], after["source"]) == ("attested", "attested")

    # Once the workload moves production in the library, its evidence decides, not the attestation.
    _release(gw, "quiet", "answer", "Answer.", approved=False)
    assert attest(gw, "manual_prompt_review", "quiet")[0] == 201
    evidenced = _items(gw)["quiet"]["manual_prompt_review"]
    assert (evidenced["verdict"], evidenced["source"]) == ("unmet", "evidenced")
