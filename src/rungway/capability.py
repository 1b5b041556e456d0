"""The one door through which a capability joins Rungway, built in or third party alike.

A capability is a `Capability` value published under the `rungway.capabilities` entry-point group:

    [project.entry-points."rungway.capabilities"]
    budgets = "rungway.budgets.install:CAPABILITY"

`load_capabilities()` reads that group (the built-ins are declared in Rungway's own pyproject.toml
exactly like a plugin's), the configuration is parsed with every capability's `sections`, and the
server calls each `install(host)` and wires what it returns (`Installed`): pipeline steps,
writers, budget holders, start-up and clean-up hooks, the API shapes (dialects) it serves over the
chat pipeline; it mounts the capability's management
routers and its dashboard pages. The CLI adds
each capability's `cli` groups by import path, so `rungway --help` builds no server. Nothing in the
core names a capability: the registry is the only list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from aiohttp import web

from rungway.api.registry import ApiRouter
from rungway.errors import ConfigError
from rungway.gateway.context import CallContext
from rungway.gateway.dialect import Dialect, NativeDialect, StreamTranslation
from rungway.gateway.output_guard import GuardVerdict, OutputGuard, StreamGuard
from rungway.gateway.pipeline import PipelineExtension, Step
from rungway.gateway.routes import STATE
from rungway.gateway.routing import Attempt, AttemptPolicy, RoutePlan
from rungway.gateway.slots import CallKey, StateKey
from rungway.gateway.state import AttemptObserver, BudgetHolder, GatewayState, RoutePlanner
from rungway.providers.base import NativeEvent
from rungway.settings.sections import ConfigSection
from rungway.store.writer import BatchWriter
from rungway.web.pages import PageRouter

__all__ = [
    "ENTRY_POINT_GROUP",
    "STATE",
    "Attempt",
    "AttemptObserver",
    "AttemptPolicy",
    "Background",
    "BudgetHolder",
    "CallContext",
    "CallKey",
    "Capability",
    "ConfigSection",
    "Dialect",
    "GatewayState",
    "GuardVerdict",
    "Hook",
    "Host",
    "Installed",
    "NativeDialect",
    "NativeEvent",
    "OutputGuard",
    "PageRouter",
    "PipelineExtension",
    "RoutePlan",
    "RoutePlanner",
    "StateKey",
    "Step",
    "StreamGuard",
    "StreamTranslation",
    "load_capabilities",
    "migration_packages",
    "registered_sections",
]

ENTRY_POINT_GROUP = "rungway.capabilities"

Hook = Callable[[], Awaitable[None]]
"""A start-up or clean-up coroutine function; start-ups run in install order, clean-ups in reverse."""


@dataclass(frozen=True)
class Host:
    """What `install` is handed: the server's state (config, store engine, counters, metrics, slots)
    and the aiohttp application, for the rare raw route that is not a management route (OTLP ingest)."""

    state: GatewayState
    app: web.Application


@dataclass(frozen=True)
class Background:
    """A task a capability runs while the server runs (a scheduler, a watcher, a purge): the server starts it
    after every start-up hook and cancels it, and waits for it, before any clean-up hook runs."""

    name: str
    run: Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Installed:
    """What a capability adds to a server; the server wires each part, so install stays declarative."""

    pipeline: Sequence[PipelineExtension] = ()  # steps before/after the upstream call
    writers: Sequence[BatchWriter[Any]] = ()  # batch writers: started, spilled, drained like the request writer
    budget_holders: Sequence[BudgetHolder] = ()  # holds placed with the rate limits (gateway/limits.py)
    on_startup: Sequence[Hook] = ()  # e.g. seed a cache, sync configuration into the store
    on_cleanup: Sequence[Hook] = ()  # e.g. revoke a key; runs before the writers are drained
    background: Sequence[Background] = ()  # tasks run while the server runs (started last, cancelled first)
    route_planner: RoutePlanner | None = None  # where calls go (at most one capability routes)
    attempt_observers: Sequence[AttemptObserver] = ()  # told of every try of every deployment
    output_guard: OutputGuard | None = None  # checks answers, JSON and streamed (at most one capability)
    dialects: Sequence[Dialect] = ()  # other API shapes served over the chat pipeline (`gateway/dialect.py`)


@dataclass(frozen=True)
class Capability:
    """A named, optional part of Rungway: its configuration, its installer and where its other parts live.

    `routers` are its management routes, mounted under /api/ behind the API's authentication and
    published in /api/openapi.json; they are declared here, not returned by `install`, because they
    need no running server (the OpenAPI document and the route tests list them without one). `cli`
    maps a top-level command name to the "module:attribute" of a click command, imported only when
    that command runs; a key "group sub" (e.g. "cost savings") adds a subcommand to another capability's
    group, imported when that group runs. `migrations` is the importable package whose directory holds the
    capability's Alembic versions (its own branch), applied with the core's at every start.
    `checks` names the modules whose `@evidence_check` functions (`rungway.evidence`) evidence the
    maturity assessment from this capability's records; they are imported only when an assessment runs.
    `pages` are its dashboard pages, overview panels and record links (`rungway.web.pages.PageRouter`),
    mounted under /ui behind the dashboard's sign-in, like `routers` under /api.
    """

    name: str
    install: Callable[[Host], Installed]
    sections: Sequence[ConfigSection[Any]] = ()
    routers: Sequence[ApiRouter] = ()
    cli: Mapping[str, str] = field(default_factory=dict)
    migrations: str | None = None
    checks: Sequence[str] = ()
    pages: Sequence[PageRouter] = ()


@cache
def load_capabilities() -> tuple[Capability, ...]:
    """Every capability installed in this environment, in entry-point name order (stable between runs).

    Loading imports each entry point's module; those modules import their heavy parts inside `install`.
    """
    found: list[Capability] = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        value = point.load()
        if not isinstance(value, Capability):
            raise ConfigError(
                f"entry point {point.name} = {point.value!r} in group {ENTRY_POINT_GROUP} is a "
                f"{type(value).__name__}, not a Capability. Fix: point it at a rungway.capability.Capability"
            )
        found.append(value)
    names = [c.name for c in found]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"two installed capabilities are named {name!r}. Fix: uninstall one of them")
    return tuple(found)


def registered_sections(capabilities: Sequence[Capability] | None = None) -> list[ConfigSection[Any]]:
    """The configuration sections of these (default: every installed) capabilities."""
    chosen = load_capabilities() if capabilities is None else capabilities
    sections = [s for c in chosen for s in c.sections]
    names = [s.name for s in sections]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"two capabilities own the `{name}:` section. Fix: uninstall one of them")
    return sections


def migration_packages(capabilities: Sequence[Capability] | None = None) -> dict[str, str]:
    """{capability name: Alembic versions package} of these (default: every installed) capabilities, for
    `store.migrate.upgrade` (which records the name, to say which capability a store needs)."""
    chosen = load_capabilities() if capabilities is None else capabilities
    return {c.name: c.migrations for c in chosen if c.migrations is not None}
