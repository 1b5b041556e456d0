"""`GET /api/prompts-policy`: a key reads its own workload's review policy; an admin names a workload."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.http import ADMIN, call
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CONFIG = (
    SIMULATOR_CONFIG
    + """  limited:
    team: other
prompts:
  protected_labels: [production]
  workloads:
    limited:
      protected_labels: [production, staging]
      approvals_required: 0
"""
)


def test_each_key_reads_its_own_workloads_policy_and_an_admin_any(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(CONFIG, store_url=store_url)
    mine = gw.create_key("test").secret
    lou = gw.create_key("limited").secret
    status, own = call(gw, "GET", "/api/prompts-policy", mine)
    assert status == 200 and own == {"workload": "test", "protected_labels": ["production"], "approvals_required": 1}
    status, limited = call(gw, "GET", "/api/prompts-policy", lou)
    assert status == 200 and limited["protected_labels"] == ["production", "staging"]
    assert limited["approvals_required"] == 0
    status, other = call(gw, "GET", "/api/prompts-policy?workload=limited", mine)
    assert status == 404 and other["error"]["param"] == "workload"
    status, named = call(gw, "GET", "/api/prompts-policy?workload=limited", ADMIN)
    assert status == 200 and named["workload"] == "limited" and named["protected_labels"] == ["production", "staging"]
    status, shared = call(gw, "GET", "/api/prompts-policy", ADMIN)
    assert status == 200 and shared["workload"] is None and shared["protected_labels"] == ["production"]
    status, _refused = call(gw, "GET", "/api/prompts-policy", None)
    assert status == 401
    status, document = call(gw, "GET", "/api/openapi.json")
    assert "get" in document["paths"]["/api/prompts-policy"]
