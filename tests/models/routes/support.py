"""A configuration with several deployments and routing rules, shared by the routes tests."""

from __future__ import annotations

from pathlib import Path

from rungway.models.routes.chooser import HealthView, TableChooser
from rungway.models.routes.config import DEPLOYMENTS_SECTION, ROUTING_SECTION
from rungway.models.routes.table import build_table
from rungway.settings.config import Config
from tests.servers import write_config

BASE = """
server:
  admin_key: admin-secret
store:
  url: {store_url}
providers:
  sim:
    type: simulator
  sim-eu:
    type: simulator
models:
  gpt-4o-mini:
    provider: sim
    model: gpt-4o-mini-2024-07-18
  gpt-4o:
    provider: sim
    model: gpt-4o-2024-08-06
  claude:
    provider: sim
    model: claude-3-5-sonnet-20241022
    price: {input: 3, output: 15}
workloads:
  test:
    team: qa
  support:
    team: qa
"""

ROUTED = (
    BASE
    + """
deployments:
  gpt-4o-mini-eu: {serves: gpt-4o-mini, provider: sim-eu, model: gpt-4o-mini-eu-2024-07-18, weight: 3}
  gpt-4o-cheap: {serves: gpt-4o, provider: sim-eu, price: {input: 0.1, output: 0.2}}
routing:
  defaults: {retries: 1, attempt_timeout: 30s, total_timeout: 120s, backoff: 100ms, backoff_max: 4s}
  workloads:
    support:
      - name: long-prompts
        when: {model: gpt-4o, prompt_tokens_over: 1000}
        strategy: fallback
        targets: [claude, gpt-4o]
        retries: 0
      - name: gold
        when: {tags: {tier: gold}}
        strategy: least-latency
        targets: [gpt-4o, claude]
      - name: vip
        when: {users: [alice]}
        strategy: least-cost
        targets: [claude, gpt-4o]
      - name: web
        when: {metadata: {channel: web}, prompt_tokens_under: 50}
        strategy: weighted
        targets: [gpt-4o-mini]
"""
)


def config_of(tmp_path: Path, text: str) -> Config:
    return write_config(tmp_path, text.replace("{store_url}", f"sqlite:///{tmp_path}/r.db"))


def chooser_of(config: Config, health: HealthView | None = None, seed: int = 7) -> TableChooser:
    table = build_table(config, config.section(DEPLOYMENTS_SECTION), config.section(ROUTING_SECTION))
    return TableChooser(table, health, seed=seed)
