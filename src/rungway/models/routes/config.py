"""The `deployments:` and `routing:` sections of rungway.yaml: where a public model may also be served,
and each workload's ordered routing rules.

    deployments:                    # more deployments of a public model (its `models:` entry is one too)
      gpt-4o-mini-eu: {serves: gpt-4o-mini, provider: openai-eu, model: gpt-4o-mini-2024-07-18, weight: 3}
    routing:
      defaults: {retries: 1, attempt_timeout: 30s, total_timeout: 120s, backoff: 100ms, backoff_max: 4s}
      workloads:
        support:
          - name: long-prompts      # first match wins
            when: {model: gpt-4o, prompt_tokens_over: 8000, tags: {tier: gold}, users: [a, b]}
            strategy: fallback      # fallback | weighted | least-latency | least-cost
            targets: [gpt-4o, claude-3-5-sonnet]   # public model names or deployment names
            retries: 0              # per-rule policy overrides

Each section is checked here on its own (types, ranges, unknown keys); what needs the rest of the
file (a deployment's `serves:` and `provider:`, a rule's targets) is checked when the routes are
built at start (`table.py`), with the same file:line errors. Lines are kept for that.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from rungway.domain.pricing import Price
from rungway.gateway.routing import AttemptPolicy
from rungway.settings.sections import ConfigMapping, ConfigSection, config_error, tracked

__all__ = [
    "DEPLOYMENTS_SECTION",
    "MAX_RULES",
    "MAX_TARGETS",
    "ROUTING_SECTION",
    "Condition",
    "DeploymentSpec",
    "DeploymentsConfig",
    "Located",
    "RoutingConfig",
    "Rule",
    "Strategy",
    "parse_deployments",
    "parse_routing",
]

MAX_RULES = 100  # per workload
MAX_TARGETS = 32  # per rule
MAX_WEIGHT = 1_000_000.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)\s*$", re.IGNORECASE)
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0}


class Strategy(StrEnum):
    """How a rule orders its deployments."""

    FALLBACK = "fallback"  # as written
    WEIGHTED = "weighted"  # a weighted random first, the rest after as fallbacks
    LEAST_LATENCY = "least-latency"  # the fastest seen first (a little exploration of the untried)
    LEAST_COST = "least-cost"  # the cheapest for the call's estimated tokens first


@dataclass(frozen=True, slots=True)
class Located:
    """Where the sections came from, so checks made at start still name the file and line."""

    source: str = "rungway.yaml"
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    def error(self, key_path: str, problem: str, fix: str) -> Exception:
        return config_error(self.source, self.lines, key_path, problem, fix)


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """One more deployment of a public model: `upstream_model` None means the served model's own id,
    `price` None the served model's price."""

    name: str
    serves: str
    provider: str
    upstream_model: str | None = None
    weight: float = 1.0
    price: Price | None = None


@dataclass(frozen=True, slots=True)
class DeploymentsConfig:
    """Every extra deployment by name, in file order."""

    deployments: dict[str, DeploymentSpec] = field(default_factory=dict)
    where: Located = field(default_factory=Located)


@dataclass(frozen=True, slots=True)
class Condition:
    """What a call must have for a rule to apply; an unset field matches every call."""

    models: frozenset[str] | None = None  # the requested or resolved model name
    prompt_tokens_over: int | None = None
    prompt_tokens_under: int | None = None
    tags: tuple[tuple[str, str], ...] = ()
    users: frozenset[str] | None = None
    metadata: tuple[tuple[str, str], ...] = ()  # metadata pairs reach the gateway as tags (`attribution.py`)

    @property
    def needs_tokens(self) -> bool:
        return self.prompt_tokens_over is not None or self.prompt_tokens_under is not None

    def matches(self, requested: str, model: str, user: str | None, tags: Mapping[str, str], tokens: int) -> bool:
        if self.models is not None and requested not in self.models and model not in self.models:
            return False
        if self.prompt_tokens_over is not None and tokens <= self.prompt_tokens_over:
            return False
        if self.prompt_tokens_under is not None and tokens >= self.prompt_tokens_under:
            return False
        if self.users is not None and user not in self.users:
            return False
        for key, value in self.tags:
            if tags.get(key) != value:
                return False
        return all(tags.get(key) == value for key, value in self.metadata)


@dataclass(frozen=True, slots=True)
class Rule:
    """One routing rule of a workload: when it applies, how it orders, where it may go, how hard it tries."""

    name: str
    when: Condition
    strategy: Strategy
    targets: tuple[str, ...]
    policy: AttemptPolicy
    key_path: str  # routing.workloads.W[i], for the errors found at start


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """The default attempt policy and each workload's rules, first match wins."""

    defaults: AttemptPolicy = field(default_factory=AttemptPolicy)
    workloads: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    where: Located = field(default_factory=Located)


def _mapping(raw: Any, key_path: str, source: str, lines: Mapping[str, int], example: str) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        raise config_error(
            source, lines, key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`"
        )
    return data


def _lines(raw: Any) -> Mapping[str, int]:
    return raw.lines if isinstance(raw, ConfigMapping) else {}


def _name(data: ConfigMapping, key: str, example: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise data.error(data.child_path(key), f"expected a name, got {value!r}", f"write e.g. `{example}`")
    return value


def _reference(data: ConfigMapping, key: str) -> str:
    """A name checked against the rest of the file at start (where the fix can name a real one): as text."""
    value = data.get(key)
    return "" if value is None else str(value)


def _upstream(data: ConfigMapping) -> str | None:
    value = data.get("model")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float) or len(str(value)) > 200:
        raise data.error(data.child_path("model"), f"expected a model id, got {value!r}",
                         "write e.g. `gpt-4o-mini-2024-07-18`")  # fmt: skip
    return str(value)


def _refuse_unknown(data: ConfigMapping, known: tuple[str, ...]) -> None:
    """Refuse a key of this mapping (not below it) that is none of `known`, before reading the values:
    a misspelt required key is reported as the typo it is, not as the key missing."""
    for key in dict.keys(data):
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise data.error(
                data.child_path(str(key)), "unknown key", f"{hint}known keys here: {', '.join(sorted(known))}"
            )


def _number(data: ConfigMapping, key: str, default: float, low: float, high: float, example: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low < value <= high:
        raise data.error(
            data.child_path(key), f"expected a number > {low:g} and <= {high:g}, got {value!r}", f"write e.g. {example}"
        )
    return float(value)


def _price(data: ConfigMapping, key_path: str) -> Price | None:
    raw = data.get("price")
    if raw is None:
        return None
    fix = "write e.g. `{input: 0.15, output: 0.60}` (USD per million tokens)"
    if not isinstance(raw, ConfigMapping) or "input" not in raw or "output" not in raw:
        raise data.error(key_path, "a price needs `input` and `output`", fix)
    amounts: list[Decimal | None] = []
    for key in ("input", "output", "cached_input"):
        value = raw.get(key)
        if value is None and key == "cached_input":
            amounts.append(None)
            continue
        try:
            amount = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            raise data.error(f"{key_path}.{key}", f"expected USD per million tokens (>= 0), got {value!r}", fix)
        amounts.append(amount)
    raw.reject_unknown_keys()
    return Price(amounts[0] or Decimal(0), amounts[1] or Decimal(0), amounts[2])


def parse_deployments(raw: object, source: str = "rungway.yaml") -> DeploymentsConfig:
    """Validate `deployments:` on its own; `serves` and `provider` are checked against the file at start."""
    lines = _lines(raw)
    data = _mapping(raw, "deployments", source, lines, "{gpt-4o-mini-eu: {serves: gpt-4o-mini, provider: eu}}")
    out: dict[str, DeploymentSpec] = {}
    for name, value in data.items():
        key_path = f"deployments.{name}"
        entry = _mapping(value, key_path, source, lines, "{serves: gpt-4o-mini, provider: openai-eu, weight: 1}")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise entry.error(key_path, f"invalid deployment name {name!r}", "use a short name such as gpt-4o-mini-eu")
        _refuse_unknown(entry, ("serves", "provider", "model", "weight", "price"))
        serves, provider = _reference(entry, "serves"), _reference(entry, "provider")
        weight = _number(entry, "weight", 1.0, 0.0, MAX_WEIGHT, "1 (a positive share of the traffic)")
        spec = DeploymentSpec(name, serves, provider, _upstream(entry), weight, _price(entry, f"{key_path}.price"))
        entry.reject_unknown_keys()
        out[name] = spec
    data.reject_unknown_keys()
    return DeploymentsConfig(out, Located(source, lines))


def _seconds(data: ConfigMapping, key: str, example: str) -> float | None:
    """Seconds from `30s`, `100ms`, `2m` or a number of seconds; None when the key is absent."""
    if key not in data or data.get(key) is None:
        return None
    value = data.get(key)
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT[match.group(2).lower()]
    if seconds is None or not 0 < seconds <= 3600:
        raise data.error(
            data.child_path(key), f"expected a duration from 1ms to 1h, got {value!r}", f"write e.g. {example}"
        )
    return seconds


def _policy(data: ConfigMapping, base: AttemptPolicy) -> AttemptPolicy:
    """`base` with the policy keys `data` sets."""
    changes: dict[str, Any] = {}
    if "retries" in data:
        retries = data.get("retries")
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
            raise data.error(data.child_path("retries"), f"expected 0 to 10, got {retries!r}", "write e.g. 1")
        changes["retries"] = retries
    for key, attr, example in (
        ("attempt_timeout", "attempt_timeout_s", "30s"),
        ("total_timeout", "total_timeout_s", "120s"),
        ("backoff", "backoff_base_s", "100ms"),
        ("backoff_max", "backoff_max_s", "4s"),
        ("retry_after_max", "retry_after_max_s", "10s"),
    ):
        seconds = _seconds(data, key, example)
        if seconds is not None:
            changes[attr] = seconds
    policy = replace(base, **changes) if changes else base
    if policy.backoff_max_s < policy.backoff_base_s:
        raise data.error(data.child_path("backoff_max"), "is below `backoff`", "make backoff_max >= backoff")
    total, each = policy.total_timeout_s, policy.attempt_timeout_s
    if total is not None and each is not None and total < each:
        raise data.error(
            data.child_path("total_timeout"), "is below `attempt_timeout`", "make total_timeout >= attempt_timeout"
        )
    return policy


def _strings(data: ConfigMapping, key: str, example: str) -> frozenset[str] | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise data.error(data.child_path(key), f"expected a list of names, got {value!r}", f"write e.g. `{example}`")
    return frozenset(value)


def _pairs(data: ConfigMapping, key: str, example: str) -> tuple[tuple[str, str], ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, ConfigMapping) or not value:
        raise data.error(
            data.child_path(key), f"expected a mapping of keys to values, got {value!r}", f"write e.g. `{example}`"
        )
    pairs: list[tuple[str, str]] = []
    for name, text in value.items():
        if isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, str | int | float):
            raise data.error(
                f"{data.child_path(key)}.{name}", f"expected a text value, got {text!r}", "write e.g. `gold`"
            )
        pairs.append((str(name), str(text)))
    return tuple(pairs)


def _tokens(data: ConfigMapping, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000_000:
        raise data.error(
            data.child_path(key), f"expected a whole number of tokens >= 0, got {value!r}", "write e.g. 8000"
        )
    return value


def _condition(data: ConfigMapping) -> Condition:
    cond = Condition(
        models=_strings(data, "model", "gpt-4o"),
        prompt_tokens_over=_tokens(data, "prompt_tokens_over"),
        prompt_tokens_under=_tokens(data, "prompt_tokens_under"),
        tags=_pairs(data, "tags", "{tier: gold}"),
        users=_strings(data, "users", "[alice, bob]"),
        metadata=_pairs(data, "metadata", "{channel: web}"),
    )
    over, under = cond.prompt_tokens_over, cond.prompt_tokens_under
    if over is not None and under is not None and under <= over + 1:
        raise data.error(
            data.child_path("prompt_tokens_under"),
            f"no prompt is over {over} and under {under}",
            "make prompt_tokens_under larger than prompt_tokens_over + 1",
        )
    data.reject_unknown_keys()
    return cond


RULE_KEYS = ("name", "when", "strategy", "targets", "retries", "attempt_timeout", "total_timeout", "backoff",
             "backoff_max", "retry_after_max")  # fmt: skip


def _rule(entry: ConfigMapping, defaults: AttemptPolicy, seen: set[str]) -> Rule:
    path = entry.key_path
    _refuse_unknown(entry, RULE_KEYS)
    name = _name(entry, "name", "long-prompts")
    if name in seen:
        raise entry.error(f"{path}.name", f"two rules are named {name!r}", "give each rule of a workload its own name")
    seen.add(name)
    when_raw = entry.get("when")
    when = _condition(_mapping(when_raw, f"{path}.when", entry.path, entry.lines, "{model: gpt-4o}"))
    strategy_raw = entry.get("strategy", "fallback")
    try:
        strategy = Strategy(strategy_raw)
    except ValueError:
        choices = " | ".join(s.value for s in Strategy)
        problem = f"unknown strategy {strategy_raw!r}"
        raise entry.error(f"{path}.strategy", problem, f"write e.g. `fallback` (one of {choices})") from None
    targets = entry.get("targets")
    if not isinstance(targets, list):
        targets = [] if targets is None else [targets]  # one name; what it names is checked at start
    if not targets:
        raise entry.error(f"{path}.targets", "expected a non-empty list of model or deployment names",
                          "list the public models or deployments to try, e.g. `[gpt-4o, gpt-4o-mini]`")  # fmt: skip
    targets = [str(t) for t in targets]
    if len(targets) > MAX_TARGETS:
        raise entry.error(f"{path}.targets", f"{len(targets)} targets; at most {MAX_TARGETS}", "list fewer targets")
    policy = _policy(entry, defaults)
    entry.reject_unknown_keys()
    return Rule(name, when, strategy, tuple(dict.fromkeys(targets)), policy, path)


def parse_routing(raw: object, source: str = "rungway.yaml") -> RoutingConfig:
    """Validate `routing:` on its own; the targets are checked against `models:` and `deployments:` at start."""
    lines = _lines(raw)
    data = _mapping(raw, "routing", source, lines, "{defaults: {retries: 1}}")
    defaults_map = _mapping(
        data.get("defaults"), "routing.defaults", source, lines, "{retries: 1, attempt_timeout: 30s}"
    )
    defaults = _policy(defaults_map, AttemptPolicy())
    workloads = _mapping(
        data.get("workloads"),
        "routing.workloads",
        source,
        lines,
        "{}` (then per workload a list of rules: `support: [{name: r, targets: [gpt-4o]}]`",
    )
    out: dict[str, tuple[Rule, ...]] = {}
    for workload, rules_raw in workloads.items():
        key_path = f"routing.workloads.{workload}"
        rules = tracked(rules_raw, key_path, source)
        if not isinstance(rules, list) or not rules:
            raise config_error(
                source,
                lines,
                key_path,
                "expected a list of rules",
                "write e.g. `[{name: default, targets: [gpt-4o, gpt-4o-mini]}]`",
            )
        if len(rules) > MAX_RULES:
            raise config_error(source, lines, key_path, f"{len(rules)} rules; at most {MAX_RULES}", "merge rules")
        seen: set[str] = set()
        parsed: list[Rule] = []
        for index, item in enumerate(rules):
            entry = _mapping(item, f"{key_path}[{index}]", source, lines, "{name: r, targets: [gpt-4o]}")
            parsed.append(_rule(entry, defaults, seen))
        out[str(workload)] = tuple(parsed)
    data.reject_unknown_keys()
    return RoutingConfig(defaults, out, Located(source, lines))


DEPLOYMENTS_SECTION = ConfigSection("deployments", parse_deployments)
"""`deployments:` in rungway.yaml."""


def check_routes(config: Any, routing: RoutingConfig) -> None:
    """`deployments:` and `routing:` against `models:`, `providers:` and `workloads:` (`table.build_table`)."""
    from rungway.models.routes.table import build_table  # the table is built from these sections: no cycle

    build_table(config, config.section(DEPLOYMENTS_SECTION), routing)


ROUTING_SECTION = ConfigSection("routing", parse_routing, check_routes)
"""`routing:` in rungway.yaml."""
