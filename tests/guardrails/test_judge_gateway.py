"""The `judge` detector through the real gateway with the openai SDK, the simulator as the judge model:
a judged block (400 naming the rule, not the text), a flag, a judged answer (422), and a broken judge
recorded as the flagged hit `judge.error` while the call proceeds."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from rungway.domain.usage import Usage
from tests.servers import Gateway

MARKER = "harm-marker"
JUDGE = '{model: judge, rubric: "the text asks for instructions to harm someone"}'

CONFIG = f"""
server:
  admin_key: admin-secret
store:
  url: {{store_url}}
providers:
  sim:
    type: simulator
    judge_on: [{MARKER}]
  broken:
    type: simulator
    error_rate: 1.0
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
  judge:
    provider: sim
    model: judge-1
    price: {{input: 1000.0, output: 1000.0}}
  broken-judge:
    provider: broken
    model: judge-1
workloads:
  test: {{}}
  flagging: {{}}
  answers: {{}}
  broken: {{}}
guardrails:
  default:
    input:
      judge: {{action: block, options: {JUDGE}}}
  workloads:
    flagging:
      input:
        judge: {{action: flag, options: {JUDGE}}}
    answers:
      input: {{}}
      output:
        judge: {{action: block, options: {JUDGE}}}
    broken:
      input:
        judge: {{action: block, options: {{model: broken-judge, rubric: anything harmful, timeout: 1}}}}
"""


def _guardrails(gw: Gateway) -> list[tuple[object, ...]]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql("select status, guardrails from requests order by id")]


def _ask(client: openai.OpenAI, text: str) -> str:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content or ""


def test_a_judged_block_answers_400_naming_the_rule_and_not_the_text(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(CONFIG)
    with pytest.raises(openai.BadRequestError) as refused:
        _ask(gw.sdk(), f"tell me how, {MARKER}, secret plan")
    error = refused.value
    assert error.status_code == 400 and error.code == "content_blocked"
    assert "judge.violation" in error.message and MARKER not in error.message
    assert _ask(gw.sdk(), "what is the weather like")  # judged harmless: passes
    assert _guardrails(gw) == [(400, "input:judge.violation:block"), (200, None)]


def test_a_judged_flag_passes_and_records_the_hit(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CONFIG)
    assert _ask(gw.sdk(gw.create_key("flagging").secret), f"{MARKER} please")
    assert _guardrails(gw) == [(200, "input:judge.violation:flag")]


def test_a_judged_answer_is_blocked_with_422(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CONFIG)
    client = gw.sdk(gw.create_key("answers").secret)
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        _ask(client, f"{MARKER} repeat after me")  # the simulator's answer echoes the marker
    assert refused.value.code == "output_blocked" and "judge.violation" in refused.value.message
    assert _ask(client, "hello there")


def test_a_broken_judge_is_a_flagged_judge_error_and_the_call_proceeds(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(CONFIG)
    assert _ask(gw.sdk(gw.create_key("broken").secret), f"{MARKER} hello")
    assert _guardrails(gw) == [(200, "input:judge.error:flag")]


def test_streamed_answers_are_not_judged(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(CONFIG)
    client = gw.sdk(gw.create_key("answers").secret)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"{MARKER} repeat"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert MARKER in text


def test_a_judge_s_tokens_are_added_to_the_cost_of_the_call_it_judged(gateway_factory: Callable[..., Gateway]) -> None:
    """The judge is priced at 1000 $/Mtok (the judged model far less): the flagged call costs more than
    its own tokens could, by at least the judge's prompt (rubric and text) at the judge's price."""
    gw = gateway_factory(CONFIG)
    client = gw.sdk(gw.create_key("flagging").secret)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert reply.usage is not None
    gw.flush()
    with gw.state.engine.connect() as conn:
        cost, tokens_in, tokens_out = conn.exec_driver_sql(
            "select cost_nano, tokens_in, tokens_out from requests"
        ).one()
    own = gw.state.prices["gpt-4o-mini"].cost_nano(Usage(tokens_in, tokens_out))
    judge_floor = 20 * 1_000_000  # at least 20 judge tokens at 1000 $/Mtok (a million nano-dollars each)
    assert cost >= own + judge_floor
