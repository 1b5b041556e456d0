"""The answer guard through the real gateway with the openai SDK on the simulator (which echoes the start of
the last user message): block, redact and flag on JSON answers and on streams, a value split across chunks
caught by the look-behind, a block mid-stream ending the stream with an error event and no further content."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.guardrails.conftest import AWS_KEY, EMAIL, SIMULATED
from tests.servers import Gateway


def _ask(gw: Gateway, workload: str, text: str, stream: bool = False) -> Any:
    return gw.sdk(gw.create_key(workload).secret).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], stream=stream
    )


def _stored(gw: Gateway) -> str:
    gw.flush()
    with gw.state.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("select * from requests")]
        spans = [tuple(r) for r in conn.exec_driver_sql("select * from spans")]
    return repr(rows) + repr(spans)


def _hits(gw: Gateway) -> list[tuple[int, str | None]]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("select status, guardrails from requests order by ts_start")]  # type: ignore[misc]


def test_a_blocked_json_answer_is_a_422_output_blocked_naming_the_rule(
    gateway_factory: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    gw = gateway_factory(SIMULATED)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        _ask(gw, "out-block", f"my key {AWS_KEY}")
    error = refused.value
    assert error.code == "output_blocked" and "secrets.aws_access_key" in error.message
    assert AWS_KEY not in error.message and AWS_KEY not in caplog.text
    assert _hits(gw) == [(422, "output:secrets.aws_access_key:block")]
    assert AWS_KEY not in _stored(gw).split("gen_ai.input.messages")[0]  # the answer was never recorded


def test_a_redacted_json_answer_carries_placeholders(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    reply = _ask(gw, "out-redact", f"mail {EMAIL} key {AWS_KEY}")
    content = reply.choices[0].message.content or ""
    assert '"mail [EMAIL_1] key [AWS_KEY_1]"' in content and EMAIL not in content
    assert _hits(gw) == [(200, "output:secrets.aws_access_key:redact,output:pii.email:redact")]


def test_a_value_split_across_stream_chunks_is_redacted_whole(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)  # the simulator streams the e-mail as alice . smith @ example . com
    chunks = list(_ask(gw, "out-redact", f"mail {EMAIL} now", stream=True))
    deltas = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    text = "".join(deltas)
    assert '"mail [EMAIL_1] now"' in text
    for piece in ("alice", "smith", "example.com"):
        assert piece not in text
    assert chunks[-1].choices[0].finish_reason == "stop" if chunks[-1].choices else True
    assert _hits(gw) == [(200, "output:pii.email:redact")]


def test_a_block_mid_stream_ends_it_with_an_error_event_and_no_further_content(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATED)
    received: list[str] = []
    with pytest.raises(openai.APIError) as ended:
        for chunk in _ask(gw, "out-block", f"please mail {EMAIL} today", stream=True):
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")
    assert "pii.email" in ended.value.message
    text = "".join(received)
    assert "alice" not in text and "example" not in text
    assert _hits(gw) == [(422, "output:pii.email:block")]
    assert EMAIL not in _stored(gw).split("gen_ai.input.messages")[0]


def test_a_flagged_stream_passes_unchanged_and_is_recorded(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    text = "".join(
        c.choices[0].delta.content or "" for c in _ask(gw, "flagging", f"mail {EMAIL}", stream=True) if c.choices
    )
    assert f'"mail {EMAIL}"' in text
    assert _hits(gw) == [(200, "input:pii.email:flag,output:pii.email:flag")]


def test_streams_of_unguarded_workloads_relay_the_upstreams_bytes(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    text = "".join(
        c.choices[0].delta.content or "" for c in _ask(gw, "open", f"key {AWS_KEY}", stream=True) if c.choices
    )
    assert AWS_KEY in text
    assert _hits(gw) == [(200, None)]
