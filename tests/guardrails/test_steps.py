"""The input filter through the real gateway with the openai SDK: block, redact (with restore) and flag,
for chat and embeddings; a planted secret never reaches the upstream, the request log, the span or the log."""

from __future__ import annotations

import logging
from collections.abc import Callable

import openai
import pytest

from tests.api.http import call
from tests.guardrails.conftest import AWS_KEY, EMAIL, SIMULATED, UPSTREAM
from tests.providers.fake_openai import FakeOpenAI
from tests.servers import Gateway


def _rows(gw: Gateway, sql: str) -> list[tuple[object, ...]]:
    gw.flush()
    with gw.state.engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql)]


def _everything_stored(gw: Gateway) -> str:
    """Every request-log row and span, as text, to look for a value that must not be there."""
    requests = _rows(gw, "select * from requests")
    spans = _rows(gw, "select * from spans")
    return repr(requests) + repr(spans)


def test_a_blocked_secret_answers_the_openai_error_naming_the_rule_and_is_never_sent_or_stored(
    gateway_factory: Callable[..., Gateway], fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    gw = gateway_factory(UPSTREAM.replace("BASE_URL", fake_openai.base_url))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(openai.BadRequestError) as refused:
        gw.sdk().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"deploy with {AWS_KEY} please"}]
        )
    error = refused.value
    assert error.status_code == 400 and error.code == "content_blocked"
    assert isinstance(error.body, dict) and error.body["type"] == "invalid_request_error"
    assert "secrets.aws_access_key" in error.message and AWS_KEY not in error.message
    assert fake_openai.seen == []
    stored = _everything_stored(gw)
    assert AWS_KEY not in stored and "[AWS_KEY_1]" in stored
    assert _rows(gw, "select status, guardrails from requests") == [(400, "input:secrets.aws_access_key:block")]
    assert AWS_KEY not in caplog.text
    metrics = gw.state.metrics.render().decode()
    assert 'rungway_guardrail_hits_total{action="block",detector="secrets",direction="input"} 1.0' in metrics


def test_redact_sends_placeholders_upstream_and_records_no_value(
    gateway_factory: Callable[..., Gateway], fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    gw = gateway_factory(UPSTREAM.replace("BASE_URL", fake_openai.base_url))
    caplog.set_level(logging.DEBUG)
    client = gw.sdk(gw.create_key("redacting").secret)
    for stream in (False, True):
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": f"The user is {EMAIL}."},
                {"role": "user", "content": [{"type": "text", "text": f"key {AWS_KEY}, mail {EMAIL}"}]},
            ],
            stream=stream,
        )
        if stream:
            assert "".join(c.choices[0].delta.content or "" for c in reply if c.choices)  # type: ignore[union-attr]
    for seen in fake_openai.seen:
        sent = repr(seen.body)
        assert AWS_KEY not in sent and EMAIL not in sent
        assert seen.body["messages"][0]["content"] == "The user is [EMAIL_1]."
        assert seen.body["messages"][1]["content"][0]["text"] == "key [AWS_KEY_1], mail [EMAIL_1]"
    stored = _everything_stored(gw)
    assert AWS_KEY not in stored and EMAIL not in stored and AWS_KEY not in caplog.text and EMAIL not in caplog.text
    hits = _rows(gw, "select guardrails from requests")
    assert hits == [("input:pii.email:redact,input:secrets.aws_access_key:redact",)] * 2
    contents = [bytes(row[0]) for row in _rows(gw, "select content from spans")]
    assert len(contents) == 2  # the span keeps full content (capture: full), placeholders only
    assert all(b'"rungway.guardrails.hits":"input:pii.email:redact,input:secrets' in c for c in contents), contents


def test_redacted_embeddings_input_reaches_the_upstream_as_placeholders(
    gateway_factory: Callable[..., Gateway], fake_openai: FakeOpenAI
) -> None:
    gw = gateway_factory(UPSTREAM.replace("BASE_URL", fake_openai.base_url))
    gw.sdk(gw.create_key("redacting").secret).embeddings.create(
        model="text-embedding-3-small", input=[f"write to {EMAIL}", "nothing here"]
    )
    assert fake_openai.seen[0].body["input"] == ["write to [EMAIL_1]", "nothing here"]
    with pytest.raises(openai.BadRequestError, match=r"secrets\.aws_access_key"):
        gw.sdk().embeddings.create(model="text-embedding-3-small", input=f"x {AWS_KEY}")
    assert len(fake_openai.seen) == 1


def test_restore_puts_the_value_back_in_the_answer_but_not_in_the_records(
    gateway_factory: Callable[..., Gateway],
) -> None:
    gw = gateway_factory(SIMULATED)  # the simulator answers `Simulated answer to "<the first words>": ...`
    client = gw.sdk()
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"mail {EMAIL}"}])
    assert f'"mail {EMAIL}"' in (reply.choices[0].message.content or "")
    chunks = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"mail {EMAIL}"}], stream=True
    )
    assert f'"mail {EMAIL}"' in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    stored = _everything_stored(gw)
    assert EMAIL not in stored and "[EMAIL_1]" in stored


def test_flag_passes_the_text_and_records_the_hit(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    reply = gw.sdk(gw.create_key("flagging").secret).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"mail {EMAIL}"}]
    )
    assert EMAIL in (reply.choices[0].message.content or "")
    assert _rows(gw, "select guardrails from requests") == [("input:pii.email:flag,output:pii.email:flag",)]


def test_a_workload_with_empty_directions_is_not_filtered(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    reply = gw.sdk(gw.create_key("open").secret).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"key {AWS_KEY}"}]
    )
    assert AWS_KEY in (reply.choices[0].message.content or "")
    assert _rows(gw, "select guardrails from requests") == [(None,)]


def test_api_logs_shows_the_hits_of_the_callers_workload(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(SIMULATED)
    key = gw.create_key("redacting")
    gw.sdk(key.secret).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": EMAIL}])
    gw.flush()
    status, page = call(gw, "GET", "/api/logs", key.secret)
    assert status == 200, page
    assert [row["guardrails"] for row in page["data"]] == ["input:pii.email:redact"]
    assert EMAIL not in repr(page)
