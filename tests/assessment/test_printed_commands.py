"""Every command an assessment prints (each item's `builds_with`, guidance and every reason, for all verdicts)
runs as printed through the CLI against a real store, once its placeholders (W, NAME, URL, FILE, ...) are filled."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from rungway.assessment.model_file import load_model
from rungway.assessment.service import attest, import_run, run_assessment
from rungway.cli.main import cli
from tests.assessment.helpers import ASSESS_CONFIG, chat, set_budget
from tests.servers import Gateway

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
STOPS = ("\n", "  ", ". ", ";", ",", "`", ")", " (", " and ", " or ", " for ", " then ")


def printed_commands(text: str) -> list[str]:
    """`rungway ...` commands in prose: each runs from `rungway ` to the first delimiter after it."""
    found = []
    for match in re.finditer(r"(?<![\w./-])rungway (?=[a-z])", text):
        rest = text[match.end() :]
        cut = min([len(rest), *(i for i in (rest.find(s) for s in STOPS) if i != -1)])
        found.append("rungway " + rest[:cut].strip().rstrip("."))
    return found


def test_printed_commands_are_found_in_prose() -> None:
    text = (
        "models.x.price in rungway.yaml; rungway usage --by provider_account --since 30d. Then "
        "`rungway assess attest on_call_rotation --workload W`, and rungway keys create --workload W  (one key)"
    )
    assert printed_commands(text) == [
        "rungway usage --by provider_account --since 30d",
        "rungway assess attest on_call_rotation --workload W",
        "rungway keys create --workload W",
    ]


def _fill(command: str, workload: str, key_id: str) -> list[str]:
    args = shlex.split(command)[1:]
    fmt = args[args.index("--format") + 1] if "--format" in args else "junit"
    fixture = FIXTURES / ("junit.xml" if fmt == "junit" else "promptfoo_eval.json")
    words = {"W": workload, "NAME": "ann", "FILE": str(fixture), "SHA": "0123abcd", "KEY_ID": key_id, "USER": "u1"}
    filled = []
    for arg in args:
        if arg.startswith("URL"):
            filled.append("https://wiki.example/" + arg.lower())
            continue
        filled.append(re.sub(r"\b(W|NAME|FILE|SHA|KEY_ID|USER)\b", lambda m: words[m.group(1)], arg))
    return filled


def test_every_printed_command_runs_as_printed(
    gateway_factory: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = gateway_factory(ASSESS_CONFIG)
    monkeypatch.setenv("RUNGWAY_DATABASE_URL", str(gw.state.engine.url))
    monkeypatch.setenv("RUNGWAY_CONFIG", gw.config.source)
    engine, now = gw.state.engine, time.time()
    good, weak = gw.create_key("good"), gw.create_key("weak")
    chat(gw, good.secret, "pinned-model", 3, user="u1")
    chat(gw, weak.secret, "floating-model", 2)
    chat(gw, weak.secret, "unpriced-model", 2)
    set_budget(gw, "good-total", "workload", "good")
    gw.flush()
    # Every kind of verdict and source: an expired attestation, a live one, imports below and above the bar.
    link = "https://wiki.example/runbook"
    attest(engine, item="on_call_rotation", workload="weak", by="ann", link=link, expires="1d", now=now - 3 * 86400)
    attest(engine, item="on_call_rotation", workload="good", by="ann", link=link, now=now)
    junit = (FIXTURES / "junit.xml").read_bytes()
    tests = {"item": "pre_deployment_tests", "fmt": "junit", "by": "t", "at": now - 3600}
    import_run(engine, workload="weak", data=junit, file_name="j.xml", **tests)
    passing = junit.replace(b"<failure", b"<skipped").replace(b"</failure>", b"</skipped>")
    import_run(engine, workload="good", data=passing, file_name="p.xml", **tests)
    run = run_assessment(engine, gw.state.config, now=now).to_dict()
    verdicts = {r["verdict"] for w in run["workloads"] for r in w["items"]}
    assert {"met", "partial", "unmet", "not_assessable", "attested", "not_applicable"} <= verdicts

    texts = [f"{i.builds_with}\n{i.guidance}" for i in load_model().items]
    texts += [r["reason"] for w in run["workloads"] for r in w["items"]]
    commands = sorted({c for text in texts for c in printed_commands(text)})
    assert len(commands) >= 12, commands
    assert "rungway usage --by provider_account --since 30d" in commands
    assert any(c.startswith("rungway budgets set") and "--hard" in c for c in commands)
    failed = []
    for command in commands:
        args = _fill(command, "good", good.key.id)
        result = CliRunner().invoke(cli, args)
        if result.exit_code != 0:
            failed.append(f"{command}\n  -> {args}\n  exit {result.exit_code}: {result.output.strip()[:300]}")
    assert not failed, "\n".join(failed)
