"""The stages the models planner composes, as interfaces: each lives in its own subpackage.

    requested name --ModelResolver--> Resolution --LifecycleGate--> (headers | refusal)
                   --RouteChooser--> RoutePlan (deployments in order, policy, rule)

Each stage is called on the hot path, once per call: in-memory lookups only, no I/O (stores are
read by a background refresh). Each raises a `RungwayError` to refuse a call, with an OpenAI-style
message naming what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from rungway.gateway.context import CallContext
from rungway.gateway.routing import RoutePlan

__all__ = ["LifecycleGate", "ModelResolver", "Resolution", "RouteChooser"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a requested model name means for one workload.

    `model` is the public name calls go to after the workload's pin (a floating alias such as
    `gpt-4o` resolves to its pinned snapshot's name, `gpt-4o-2024-08-06`); `pinned_by` says why it
    is pinned (`pin`: the workload's pin; `snapshot`: the name itself is a dated snapshot; None:
    still floating); `floating` says the requested name was a floating alias."""

    requested: str
    model: str
    pinned_by: str | None = None
    floating: bool = False


class ModelResolver(Protocol):
    """Pins and the workload's model policy (approved models only, floating aliases refused)."""

    def resolve(self, workload: str | None, requested: str) -> Resolution: ...


class LifecycleGate(Protocol):
    """The catalogue's say: a blocked model is refused (naming its successor); a deprecated one is
    served with RFC 9745 `Deprecation`, RFC 8594 `Sunset` and a successor `Link` header."""

    def admit(self, model: str, now: float) -> Mapping[str, str]: ...


class RouteChooser(Protocol):
    """The workload's routes: the first rule whose conditions match picks the deployments and their
    order (fallback, weighted, least-latency, least-cost); None when no rule serves this model."""

    def choose(self, ctx: CallContext, model: str) -> RoutePlan | None: ...
