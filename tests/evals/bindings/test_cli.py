"""`rungway eval bind|unbind|bindings` on the store, as an operator runs them; mistakes are one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.evals.runs.support import ensure_dataset
from tests.evals.support import run_cli, server, user_error
from tests.servers import Gateway


def test_bind_list_and_unbind(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gw = server(gateway_factory, store_url)
    ensure_dataset(gw)
    bound = run_cli(store_url, "eval", "bind", "-w", "test", "-p", "reply", "-d", "faq", "--require", "pass_rate>=0.8")
    assert bound.exit_code == 0 and "bound faq to test/reply (pass_rate>=0.8)" in bound.output, bound.output
    again = run_cli(store_url, "eval", "bind", "-w", "test", "-p", "reply", "-d", "faq", "--require", "pass_rate>0.5")
    assert again.exit_code == 0, again.output  # a new requirement replaces the old one
    listed = run_cli(store_url, "eval", "bindings", "-w", "test", "--format", "json")
    rows = json.loads(listed.output)
    assert [(r["prompt"], r["dataset"], r["requirement"]) for r in rows] == [("reply", "faq", "pass_rate>0.5")]
    assert run_cli(store_url, "eval", "unbind", "-w", "test", "-p", "reply", "-d", "faq").exit_code == 0
    assert json.loads(run_cli(store_url, "eval", "bindings", "--format", "json").output) == []


def test_mistakes_name_the_fix(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gw = server(gateway_factory, store_url)
    ensure_dataset(gw)
    bad = run_cli(store_url, "eval", "bind", "-w", "test", "-p", "reply", "-d", "faq", "--require", "accuracy>=1")
    assert "pass_rate>=0.9" in user_error(bad)
    missing = run_cli(store_url, "eval", "bind", "-w", "test", "-p", "reply", "-d", "nope")
    assert "nope" in user_error(missing)
    gone = run_cli(store_url, "eval", "unbind", "-w", "test", "-p", "reply", "-d", "faq")
    assert "rungway eval bindings" in user_error(gone)
    name = run_cli(store_url, "eval", "bind", "-w", "test", "-p", "bad name", "-d", "faq")
    assert "--prompt" in user_error(name)
