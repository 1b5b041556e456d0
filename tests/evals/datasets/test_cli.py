"""`rungway datasets`: file mistakes named by file and line without a traceback, export, and add-from-traces."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

import rungway.sdk as rw
from tests.api.http import ADMIN, call
from tests.cli.run import rungway
from tests.evals.support import SAMPLES, run_cli, server, user_error
from tests.servers import Gateway


def test_a_bad_file_is_refused_naming_file_line_and_fix_without_a_traceback(sqlite_url: str, tmp_path: Path) -> None:
    bad = rungway(sqlite_url, "datasets", "import", str(SAMPLES / "bad_assert.yaml"), "-w", "test")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith(f"error: {SAMPLES / 'bad_assert.yaml'}:3 assert[0]: type: unknown assertion type "
                                 "'contans'. Fix: did you mean 'contains'?")  # fmt: skip
    lines = tmp_path / "cases.jsonl"
    lines.write_text('{"vars": {"q": 1}}\n\n{"vars": {"q": 2}, "expected": [1, \n')
    message = user_error(run_cli(sqlite_url, "datasets", "import", str(lines), "-w", "test"))
    assert message.startswith(f"{lines}:3: not valid JSON") and "Fix:" in message
    table = tmp_path / "cases.csv"
    table.write_text("q,__expectd\nhello,hi\n")
    message = user_error(run_cli(sqlite_url, "datasets", "import", str(table), "-w", "test"))
    assert message.startswith(f"{table}:1: column '__expectd' is not one Rungway reads")
    table.write_text("q,__expected\nhello,javascript: output.length > 2\n")
    message = user_error(run_cli(sqlite_url, "datasets", "import", str(table), "-w", "test"))
    assert message.startswith(f"{table}:2 __expected: javascript: assertions run JavaScript")
    table.write_text("q,__expected\nhello,python: json:nope\n")
    message = user_error(run_cli(sqlite_url, "datasets", "import", str(table), "-w", "test"))
    assert message.startswith(f"{table}:2 assert[0]: value:")  # a team's own file may name Python code: checked
    table.write_text("q,__expected\nhello,python: json:loads\n")
    assert run_cli(sqlite_url, "datasets", "import", str(table), "-w", "test").exit_code == 0
    message = user_error(run_cli(sqlite_url, "datasets", "import", str(SAMPLES / "cases.csv")))
    assert "--workload NAME, or --shared" in message


def test_export_writes_jsonl_that_imports_back_as_the_same_version(sqlite_url: str, tmp_path: Path) -> None:
    assert run_cli(sqlite_url, "datasets", "import", str(SAMPLES / "cases.yaml"), "-w", "test").exit_code == 0
    out = tmp_path / "out.jsonl"
    done = run_cli(sqlite_url, "datasets", "export", "cases@1", "-w", "test", "-o", str(out))
    assert done.exit_code == 0, done.output
    defaults = {"defaultTest": {"assert": [{"type": "not-icontains", "value": "as an ai"}]}}
    assert json.loads(out.read_text().splitlines()[0]) == defaults
    again = run_cli(sqlite_url, "datasets", "import", str(out), "--name", "cases", "-w", "test")
    assert again.exit_code == 0 and "unchanged: cases@1" in again.output
    shown = run_cli(sqlite_url, "datasets", "show", "cases", "-w", "test", "--format", "json")
    assert json.loads(shown.output)[0]["case_count"] == 3
    listed = run_cli(sqlite_url, "datasets", "list", "-w", "other")
    assert listed.exit_code == 0 and "cases" not in listed.output


def test_add_from_traces_copies_a_calls_input_and_output_linked_to_its_trace(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    sdk = gw.sdk(gw.create_key("test").secret)
    replies = []
    for question in ("Where is my parcel?", "How do I get a refund?"):
        reply = sdk.chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
        replies.append(reply.parse().choices[0].message.content)
    other = gw.sdk(gw.create_key("other").secret)
    other.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "not yours"}])
    gw.flush()
    _, spans = call(gw, "GET", "/api/traces?workload=test", ADMIN)
    trace_ids = [t["trace_id"] for t in spans["data"]]
    assert len(trace_ids) == 2

    one = run_cli(store_url, "datasets", "add-from-traces", "prod", "-w", "test", "--trace-id", trace_ids[0])
    assert one.exit_code == 0, one.output
    assert "1 new case(s)" in one.output and "created prod@1" in one.output
    every = run_cli(store_url, "datasets", "add-from-traces", "prod", "-w", "test", "--filter", "model=gpt-4o-mini")
    assert every.exit_code == 0 and "1 new case(s)" in every.output and "created prod@2" in every.output
    _, version = call(gw, "GET", "/api/datasets/prod/versions/2?workload=test", ADMIN)
    assert {c["source_trace_id"] for c in version["cases"]} == set(trace_ids)
    by_question = {c["messages"][0]["content"]: c for c in version["cases"]}
    assert by_question["Where is my parcel?"]["expected"] == replies[0]
    assert by_question["How do I get a refund?"]["expected"] == replies[1]

    none = run_cli(store_url, "datasets", "add-from-traces", "prod", "-w", "test", "--filter", "model=gpt-4o")
    assert user_error(none).startswith("no llm spans of workload 'test' matched")
    bad = run_cli(store_url, "datasets", "add-from-traces", "prod", "-w", "test", "--filter", "colour=red")
    assert "FIELD=VALUE" in user_error(bad)


def test_add_from_traces_reads_an_applications_otlp_llm_span_in_the_genai_conventions(
    gateway_factory: Callable[..., Gateway], sqlite_url: str
) -> None:
    gw = server(gateway_factory, sqlite_url)
    rw.configure(gw.base_url, gw.create_key("test").secret, service="app")
    try:
        question = [{"role": "user", "parts": [{"type": "text", "content": "Is the shop open on Sunday?"}]}]
        answer = [{"role": "assistant", "parts": [{"type": "text", "content": "Yes, 10 to 4."}],
                   "finish_reason": "stop"}]  # fmt: skip
        with rw.span("chat my-model", kind="llm", attributes={"gen_ai.input.messages": json.dumps(question),
                                                               "gen_ai.output.messages": answer}) as llm:  # fmt: skip
            pass
        with rw.span("no content", kind="llm") as empty:
            pass
        assert rw.flush()
    finally:
        rw.shutdown()
    gw.flush()
    with gw.state.engine.connect() as conn:
        stored = conn.execute(text("SELECT content FROM spans WHERE trace_id = :t"), {"t": llm.trace_id}).scalar()
    assert not bytes(stored).startswith(b"{")  # kept as the OTLP protobuf it arrived as
    made = run_cli(sqlite_url, "datasets", "add-from-traces", "app", "-w", "test", "--trace-id", llm.trace_id,
                   "--trace-id", empty.trace_id)  # fmt: skip
    assert made.exit_code == 0, (made.output, made.exception)
    assert "1 new case(s) from traces (1 matching spans had no stored input messages)" in made.output
    _, version = call(gw, "GET", "/api/datasets/app/versions/1?workload=test", ADMIN)
    (case,) = version["cases"]
    assert case["messages"] == [{"role": "user", "content": "Is the shop open on Sunday?"}]
    assert case["expected"] == "Yes, 10 to 4." and case["source_trace_id"] == llm.trace_id
