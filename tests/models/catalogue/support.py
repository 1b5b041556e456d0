"""A gateway configuration with catalogue entries of every status, served by the simulator."""

from __future__ import annotations

CATALOGUE_CONFIG = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
models:
  old-model:
    provider: sim
    model: old-model-2025-01-01
  new-model:
    provider: sim
    model: new-model-2026-01-01
  banned-model:
    provider: sim
    model: banned-model-2025-01-01
  private-model:
    provider: sim
    model: my-private-model
workloads:
  test:
    team: qa
  other:
    team: qa
catalogue:
  entries:
    old-model-2025-01-01: {provider: simulator, status: deprecated, deprecated: 2026-10-01, sunset: 2027-01-14,
      successor: new-model-2026-01-01, owner: platform-team}
    new-model-2026-01-01: {provider: simulator, capabilities: [tools, streaming_usage]}
    banned-model-2025-01-01: {provider: simulator, status: blocked, successor: new-model-2026-01-01}
"""
