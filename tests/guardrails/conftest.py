"""Gateways with a guardrails policy: on the simulator (which echoes the start of the last user message)
and on a loopback OpenAI upstream that keeps every request it got."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.providers.fake_openai import FakeOpenAI

AWS_KEY = "AKIAZ3MEXQ7RPLW4TQ2N"
EMAIL = "alice.smith@example.com"

POLICY = """
guardrails:
  lookbehind_chars: 64
  default:
    input:
      secrets: {action: block}
      pii: {action: redact, restore: true}
    output:
      secrets: {action: block}
  workloads:
    redacting:
      input:
        secrets: {action: redact}
        pii: {action: redact}
      output:
        pii: {action: redact}
    flagging:
      input:
        secrets: {action: flag}
        pii: {action: flag}
      output:
        pii: {action: flag}
    open: {input: {}, output: {}}
    out-block:
      input: {}
      output: {secrets: {action: block}, pii: {action: block}}
    out-redact:
      input: {}
      output: {secrets: {action: redact}, pii: {action: redact}}
"""

SIMULATED = (
    """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
  text-embedding-3-small:
    provider: sim
    model: text-embedding-3-small
workloads:
  test: {}
  redacting: {}
  flagging: {}
  open: {}
  out-block: {}
  out-redact: {}
"""
    + POLICY
)

UPSTREAM = (
    """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  up:
    type: openai
    base_url: BASE_URL
    api_key: sk-upstream
models:
  gpt-4o-mini:
    provider: up
    model: gpt-4o-mini-2024-07-18
  text-embedding-3-small:
    provider: up
workloads:
  test: {}
  redacting: {}
"""
    + POLICY
)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    try:
        yield server
    finally:
        server.stop()
