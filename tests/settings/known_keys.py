"""Every key path the configuration parsers accept, asked of the parsers themselves.

A file with every section (and one entry under each mapping of names) is parsed the way
`rungway serve` parses it; each mapping remembers the keys its parser asked for. Names of entries
become `<name>` (`workloads.<name>.capture`).
"""

from __future__ import annotations

from rungway.capability import registered_sections
from rungway.services.config_check import check_config
from rungway.settings.config import parse_config
from rungway.settings.yaml_source import load_yaml
from tests.servers import environment

EVERY_SECTION = """
server: {}
store: {}
counters: {}
recorder: {}
limits: {}
providers:
  sim: {type: simulator}
models:
  fast: {provider: sim}
prices:
  some-model: {input: 1, output: 2}
workloads:
  wl: {}
tracing:
  export: {endpoint: "http://127.0.0.1:4318/v1/traces"}
budgets: {}
alerts: {}
assessment:
  webhook: {url: "https://hooks.example.com/x"}
prompts:
  workloads:
    wl: {}
evals:
  workloads:
    wl: {}
catalogue:
  entries:
    wl: {provider: openai}
pinning:
  workloads:
    wl: {upgrade_gate: {}}
shadow:
  workloads:
    wl: {from: fast, to: other, sample: 0.1}
redteam:
  workloads:
    wl: {every: 7d, model: fast}
anomalies:
  workloads:
    wl: {enabled: true}
deployments:
  fast-eu: {serves: fast, provider: sim}
routing:
  defaults: {}
  workloads:
    wl:
      - {name: r, targets: [fast], when: {}}
guardrails:
  default:
    input: {pii: {action: redact, restore: false}}
    output: {secrets: {action: block, options: {}}}
  workloads:
    wl: {input: {}}
failover:
  breaker: {}
  drills: {}
responses: {}
online_evals:
  workloads:
    wl:
      scorers:
        wl: {assert: {type: length, value: {max: 5}}, filter: {tags: {}}}
forecasts: {}
audit: {}
slos:
  workloads:
    wl:
      avail: {kind: availability, objective: 99}
"""
ENTRY_SECTIONS = ("providers", "models", "prices", "workloads", "deployments")
NAMED_WORKLOAD_SECTIONS = (
    "prompts",
    "evals",
    "pinning",
    "shadow",
    "routing",
    "redteam",
    "guardrails",
    "online_evals",
    "slos",
    "anomalies",
)


def accepted_key_paths() -> set[str]:
    """`server.port`, `tracing.export.endpoint`, `workloads.<name>.capture`, ...; provider options excluded."""
    src = load_yaml("every-section.yaml", EVERY_SECTION, {})
    check_config(parse_config(src, environment(), registered_sections()))
    out = set()
    for path in src.data.asked_paths():
        parts = path.split(".")
        if parts[0] in ENTRY_SECTIONS and len(parts) > 1:
            parts[1] = "<name>"
        named = parts[0] in NAMED_WORKLOAD_SECTIONS and parts[1:2] == ["workloads"]
        if (named or parts[:2] == ["catalogue", "entries"]) and len(parts) > 2:
            parts[2] = "<name>"  # a mapping of names inside a section (routing: each rule of the workload's list)
        if parts[0] == "online_evals" and parts[3:4] == ["scorers"] and len(parts) > 4:
            parts[4] = "<name>"  # a workload's scorers, by name
            if parts[6:7] and parts[5] == "filter" and parts[6] == "tags":
                del parts[7:]  # the tags a filter names
        if parts[0] == "providers" and len(parts) > 2 and parts[2] != "type":
            continue  # each provider's own options, documented and checked by the provider
        if parts[0] == "guardrails" and any(p in ("input", "output") for p in parts[2:-1]):
            continue  # a detector's entry (a registry name, its action and options): tests/guardrails/test_config.py
        if parts[0] == "slos" and len(parts) > 3:
            continue  # one SLO's fields (kind, objective, ...): its own table in README, tests/slos/test_config.py
        out.add(".".join(parts))
    return out
