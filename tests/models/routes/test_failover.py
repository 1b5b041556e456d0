"""Failover end to end: a routing rule's first deployment fails every call (a simulator with error_rate 1),
the attempts executor (gateway/attempts.py) tries the next one, the caller gets its answer, and the request
log names the deployment that served it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from tests.servers import Gateway

FAILING = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  down:
    type: simulator
    error_rate: 1.0
  up:
    type: simulator
models:
  gpt-4o:
    provider: down
    model: gpt-4o-2024-08-06
deployments:
  gpt-4o-backup: {serves: gpt-4o, provider: up}
routing:
  workloads:
    support:
      - {name: primary-first, targets: [gpt-4o], strategy: fallback}
workloads:
  support: {}
"""


def test_a_failing_first_deployment_falls_back_to_the_second(gateway_factory: Callable[..., Gateway]) -> None:
    gw = gateway_factory(FAILING)
    client = gw.sdk(gw.create_key("support").secret)
    for _ in range(5):
        answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        assert answer.choices[0].message.content
    gw.flush()
    with gw.state.engine.connect() as conn:
        rows = conn.execute(text("SELECT status, provider, deployment, route_rule FROM requests")).all()
    assert [tuple(r) for r in rows] == [(200, "up", "gpt-4o-backup", "primary-first")] * 5
