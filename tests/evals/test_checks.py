"""Evaluation's evidence checks (evals/checks.py) on seeded stores, SQLite and PostgreSQL: tests before each
production change, a curated eval set, and a passing run on every prompt change; met, partial and unmet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.keys import KeyKind, Role
from rungway.evals.actor import Actor as DatasetActor
from rungway.evals.datasets.model import Case
from rungway.evals.datasets.service import create_version as create_dataset
from rungway.evals.runs.model import RunStatus
from rungway.evals.runs.service import RunCaller, add_results, finish_run, start_run
from rungway.prompts.config import PromptsConfig, ReviewPolicy
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, move_label
from rungway.prompts.template import PromptContent
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.servers import Gateway

CONFIG = (
    ASSESS_CONFIG
    + """
  half:
    risk_tier: internal
  none:
    risk_tier: internal
"""
)
LAX = PromptsConfig(default=ReviewPolicy(approvals_required=0))  # production is protected, needs no approval
ITEMS = ("pre_deployment_tests", "curated_eval_set", "eval_on_prompt_change")


@pytest.fixture
def gw(gateway_factory: Callable[..., Gateway], store_url: str) -> Gateway:
    return gateway_factory(CONFIG, store_url=store_url)


def _dataset(gw: Gateway, workload: str, name: str, cases: int) -> None:
    made = [Case(f"c{i}", {"q": f"q{i}"}, assertions=({"type": "length", "value": {"min": 1}},)) for i in range(cases)]
    create_dataset(gw.state.engine, workload=workload, name=name, cases=made, default_assertions=(),
                   description="", source="test", actor=DatasetActor.admin())  # fmt: skip


def _version(gw: Gateway, workload: str, text: str) -> int:
    ann = Actor("ann", "key_ann", Role.DEVELOPER, KeyKind.PERSON, workload)
    content = PromptContent.from_json({"messages": [{"role": "user", "content": text}], "model": "gpt-4o-mini"})
    made = create_version(gw.state.engine, workload=workload, name="reply", content=content, message="m", actor=ann)
    return made.version.version


def _run(gw: Gateway, workload: str, dataset: str, version: int, passed: bool, cases: int) -> None:
    engine, caller = gw.state.engine, RunCaller(Role.ADMIN, workload, "ci")
    run = start_run(engine, caller, {"dataset": dataset, "dataset_version": "1", "prompt": "reply",
                                     "prompt_version": version, "trigger": "cli"})  # fmt: skip
    score = {"metric": "length", "value": 1.0 if passed else 0.0, "passed": passed}
    add_results(engine, caller, run.id, [{"case_key": f"c{i}", "passed": passed, "score": score["value"],
                                          "scores": [score]} for i in range(cases)])  # fmt: skip
    finish_run(engine, caller, run.id, RunStatus.FINISHED, None)


def _ship(gw: Gateway, workload: str, version: int) -> None:
    ann = Actor("ann", "key_ann", Role.DEVELOPER, KeyKind.PERSON, workload)
    move_label(gw.state.engine, LAX, workload=workload, name="reply", label="production", version=version,
               reason="ship", actor=ann)  # fmt: skip


def _items(gw: Gateway) -> dict[str, dict[str, dict[str, Any]]]:
    return {w: {i["item"]: i for i in r["items"] if i["item"] in ITEMS} for w, r in assess(gw).items()}


def test_met_partial_and_unmet(gw: Gateway) -> None:
    # good: a curated set of 20 scored cases; its one version passed it before production
    _dataset(gw, "good", "big", 20)
    v1 = _version(gw, "good", "Answer {{q}}")
    _run(gw, "good", "big", v1, True, 20)
    _ship(gw, "good", v1)
    # half: a small set; v1 passed first, v2 failed first, v3 shipped untested
    _dataset(gw, "half", "small", 3)
    for text, passed in (("one", True), ("two", False), ("three", None)):
        version = _version(gw, "half", text)
        if passed is not None:
            _run(gw, "half", "small", version, passed, 3)
        _ship(gw, "half", version)
    # none: a dataset never run; shipped untested
    _dataset(gw, "none", "unused", 25)
    _ship(gw, "none", _version(gw, "none", "hi"))

    found = _items(gw)
    assert {k: v["verdict"] for k, v in found["good"].items()} == dict.fromkeys(ITEMS, "met"), found["good"]
    half = found["half"]
    assert {k: v["verdict"] for k, v in half.items()} == dict.fromkeys(ITEMS, "partial"), half
    assert "2 of 3" in half["pre_deployment_tests"]["reason"] and "1 of 3" in half["eval_on_prompt_change"]["reason"]
    assert "reply@3 -> production" in str(half["pre_deployment_tests"]["evidence"])
    assert {k: v["verdict"] for k, v in found["none"].items()} == dict.fromkeys(ITEMS, "unmet"), found["none"]
    idle = found["idle"]
    assert {k: v["verdict"] for k, v in idle.items()} == dict.fromkeys(ITEMS, "not_assessable"), idle


def test_a_bound_datasets_requirement_decides_what_passing_means(gw: Gateway) -> None:
    from rungway.evals.bindings.service import bind

    _dataset(gw, "good", "big", 20)
    _dataset(gw, "good", "edge", 20)
    bind(gw.state.engine, DatasetActor.admin(), "good", "reply", "big", "pass_rate>=0.5")
    bind(gw.state.engine, DatasetActor.admin(), "good", "reply", "edge", "pass_rate>=0.5")
    v1 = _version(gw, "good", "Answer {{q}}")
    _run(gw, "good", "big", v1, True, 20)  # edge never ran: not every bound dataset passed
    _ship(gw, "good", v1)
    assert _items(gw)["good"]["eval_on_prompt_change"]["verdict"] == "unmet"
