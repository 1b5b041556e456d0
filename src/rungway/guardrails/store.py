"""The guardrails capability's one table: which rules were in force for each workload, first and last seen.

A running server notes its policy at start and every `NOTE_INTERVAL_S` after (`note_policies`), so the
`content_filtering` check can tell which rules guarded a workload's traffic in a window without reading the
configuration of a server that may have changed since. The default policy is stored under `*`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, String, Table, select, update
from sqlalchemy.exc import IntegrityError

from rungway.guardrails.config import GuardrailsConfig
from rungway.store.schema import metadata

__all__ = [
    "DEFAULT_SCOPE",
    "NOTE_INTERVAL_S",
    "NO_RULES",
    "PolicyRow",
    "guardrail_policies",
    "note_policies",
    "policies_since",
]

DEFAULT_SCOPE = "*"
NO_RULES = "-"  # the detector of the row that says a direction has no rules
NOTE_INTERVAL_S = 600.0

guardrail_policies = Table(
    "guardrail_policies",
    metadata,
    Column("workload", String(64), primary_key=True),
    Column("direction", String(8), primary_key=True),
    Column("detector", String(64), primary_key=True),
    Column("action", String(8), nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)


@dataclass(frozen=True, slots=True)
class PolicyRow:
    workload: str
    direction: str
    detector: str
    action: str
    first_seen: float
    last_seen: float


def _rows(config: GuardrailsConfig) -> Iterable[tuple[str, str, str, str]]:
    scopes = [(DEFAULT_SCOPE, config.default), *config.workloads.items()]
    for workload, policy in scopes:
        for direction, rules in (("input", policy.input.rules), ("output", policy.output.rules)):
            for rule in rules:
                yield workload, direction, rule.name, rule.action
            if not rules:  # an empty direction replaces the default's: say so, or the check would read the default
                yield workload, direction, NO_RULES, "none"


def note_policies(engine: Engine, config: GuardrailsConfig, now: float) -> None:
    """Record that these rules are in force now (a new rule is inserted, a known one's `last_seen` moves)."""
    t = guardrail_policies.c
    for workload, direction, detector, action in _rows(config):
        key = (t.workload == workload) & (t.direction == direction) & (t.detector == detector)
        with engine.begin() as conn:
            moved = conn.execute(update(guardrail_policies).where(key).values(action=action, last_seen=now))
            if moved.rowcount:
                continue
        try:
            with engine.begin() as conn:
                conn.execute(
                    guardrail_policies.insert().values(
                        workload=workload,
                        direction=direction,
                        detector=detector,
                        action=action,
                        first_seen=now,
                        last_seen=now,
                    )
                )
        except IntegrityError:  # another server inserted it first: its row says the same
            continue


def policies_since(engine: Engine, since: float) -> list[PolicyRow]:
    """Every rule seen in force at or after `since`."""
    with engine.connect() as conn:
        rows = conn.execute(select(guardrail_policies).where(guardrail_policies.c.last_seen >= since)).all()
    return [PolicyRow(*row) for row in rows]
