"""The routes as the gateway uses them, built once at start from `models:`, `deployments:` and `routing:`.

Building is where a routing file is checked against the rest of the file: a deployment serves a
public model that exists and names a known provider; a rule's targets are public models or
deployments. Every target is expanded here into its deployments (a public model's `models:` entry,
then each `deployments:` entry serving it, in file order), so choosing on the hot path is lookups.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from rungway.domain.pricing import Price
from rungway.gateway.routing import AttemptPolicy
from rungway.models.routes.config import DeploymentsConfig, RoutingConfig, Rule, Strategy
from rungway.settings.config import Config, ModelRoute

__all__ = ["Candidate", "CompiledRule", "RouteTable", "build_table"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One deployment a plan may use: the route, the public model it serves, its weight and price."""

    route: ModelRoute
    serves: str
    weight: float
    price: Price | None
    # USD per token as floats, for least-cost ordering (None: unpriced, sorted last)
    input_per_token: float | None = field(default=None, compare=False)
    output_per_token: float | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its targets expanded into candidates (deduplicated, in the order written)."""

    rule: Rule
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Every deployment (by name), each public model's candidates, each workload's compiled rules."""

    deployments: dict[str, Candidate]
    by_model: dict[str, tuple[Candidate, ...]]
    rules: dict[str, tuple[CompiledRule, ...]]
    defaults: AttemptPolicy

    def extra_prices(self) -> dict[str, Price | None]:
        """Prices of the `deployments:` entries by name (the meter prices a call by its deployment's name)."""
        return {name: c.price for name, c in self.deployments.items() if c.route.name != c.serves}


def _candidate(route: ModelRoute, serves: str, weight: float, price: Price | None) -> Candidate:
    per_token = (float(price.input) / 1e6, float(price.output) / 1e6) if price is not None else (None, None)
    return Candidate(route, serves, weight, price, per_token[0], per_token[1])


def _fix(name: str, known: list[str], where: str) -> str:
    """`did you mean X? write e.g. `X` (a name under where: ...)`: the example is a real name of the file."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`? " if close else ""
    example = close[0] if close else (known[0] if known else "NAME")
    listed = ", ".join(known[:20]) or "none yet"
    return f"{hint}write e.g. `{example}` (a name under {where}: {listed})"


def build_table(config: Config, deployments: DeploymentsConfig, routing: RoutingConfig) -> RouteTable:
    """Check the routing sections against the file and expand every target; raise ConfigError naming file:line."""
    where = deployments.where
    by_name: dict[str, Candidate] = {}
    by_model: dict[str, list[Candidate]] = {}
    for name, route in config.models.items():
        candidate = _candidate(route, name, 1.0, config.price_of(route))
        by_name[name] = candidate
        by_model[name] = [candidate]
    models = sorted(config.models)
    for name, spec in deployments.deployments.items():
        path = f"deployments.{name}"
        if name in config.models:
            raise where.error(
                path,
                f"`{name}` is already a public model under `models:`",
                "give the deployment its own name, e.g. `" + name + "-eu`",
            )
        served = config.models.get(spec.serves)
        if served is None:
            raise where.error(
                f"{path}.serves",
                f"unknown model {spec.serves!r}" if spec.serves else "missing `serves` (the public model it serves)",
                _fix(spec.serves, models, "`models:`"),
            )
        if spec.provider not in config.providers:
            providers = sorted(config.providers)
            raise where.error(
                f"{path}.provider",
                f"unknown provider {spec.provider!r}" if spec.provider else "missing `provider`",
                _fix(spec.provider, providers, "`providers:`"),
            )
        upstream = spec.upstream_model or served.upstream_model
        route = ModelRoute(name, spec.provider, upstream, spec.price or served.price, served.pinned)
        candidate = _candidate(route, spec.serves, spec.weight, spec.price or config.price_of(served))
        by_name[name] = candidate
        by_model[spec.serves].append(candidate)
    rules: dict[str, tuple[CompiledRule, ...]] = {}
    known = sorted(by_name)
    for workload, workload_rules in routing.workloads.items():
        if workload not in config.workloads:
            raise routing.where.error(
                f"routing.workloads.{workload}",
                f"unknown workload {workload!r}",
                _fix(workload, sorted(config.workloads), "`workloads:`"),
            )
        compiled: list[CompiledRule] = []
        for rule in workload_rules:
            chosen: dict[str, Candidate] = {}
            for index, target in enumerate(rule.targets):
                expanded = by_model.get(target) or ([by_name[target]] if target in by_name else None)
                if expanded is None:
                    raise routing.where.error(
                        f"{rule.key_path}.targets[{index}]",
                        f"unknown target {target!r}",
                        _fix(target, known, "`models:` or `deployments:`"),
                    )
                for candidate in expanded:
                    chosen.setdefault(candidate.route.name, candidate)
            if rule.strategy is Strategy.WEIGHTED and len(chosen) < 2:
                raise routing.where.error(
                    f"{rule.key_path}.strategy",
                    "a weighted rule with one deployment",
                    "add targets, or write `strategy: fallback`",
                )
            compiled.append(CompiledRule(rule, tuple(chosen.values())))
        rules[workload] = tuple(compiled)
    return RouteTable(by_name, {m: tuple(c) for m, c in by_model.items()}, rules, routing.defaults)
