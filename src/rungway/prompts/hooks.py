"""Extension points of the prompt library: who hears of a new version, and who may refuse a label move.

The prompt library imports no other capability, and a server-side capability imports no part of it but this
module and `rungway.prompts.public`; this registry is how they meet. It is kept apart from `public` (the pure
template model, which the SDK imports in applications) because it needs the server state and SQLAlchemy.
A server holds one `PromptHooks` in `state.slots[PROMPT_HOOKS]`; each capability gets it with `hooks_of` in
its install (capabilities install in name order, so whichever comes first makes it). The prompts service
calls every guard inside the label move's transaction (a guard reads what the move commits against), and the
prompts API calls every listener after a version was created.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from rungway.gateway.slots import Slots, StateKey

__all__ = [
    "PROMPT_HOOKS",
    "LabelGuard",
    "LabelMoveCheck",
    "PromptHooks",
    "VersionCreatedEvent",
    "VersionListener",
    "hooks_of",
]


@dataclass(frozen=True, slots=True)
class VersionCreatedEvent:
    """A new prompt version: its workload (None: shared), name and number, who made it, and the address of the
    server that made it (the local socket the request arrived on, never a caller's Host header)."""

    workload: str | None
    name: str
    version: int
    author: str
    server_url: str | None = None


@dataclass(frozen=True, slots=True)
class LabelMoveCheck:
    """A label about to move: the prompt's workload (None: shared), name, label, the target version and
    whether the workload's policy protects the label."""

    workload: str | None
    name: str
    label: str
    version: int
    protected: bool


VersionListener = Callable[[VersionCreatedEvent], None]
"""Called on the event loop after a version is created; it must return at once (start a task for work)."""

LabelGuard = Callable[[Connection, LabelMoveCheck], None]
"""Called in the move's transaction; raises `rungway.errors.Conflict` (or another RungwayError) to refuse."""


@dataclass(slots=True)
class PromptHooks:
    """The listeners and guards registered on one server."""

    listeners: list[VersionListener] = field(default_factory=list)
    guards: list[LabelGuard] = field(default_factory=list)

    def on_version_created(self, listener: VersionListener) -> None:
        self.listeners.append(listener)

    def add_label_guard(self, guard: LabelGuard) -> None:
        self.guards.append(guard)

    def version_created(self, event: VersionCreatedEvent) -> None:
        for listener in self.listeners:
            listener(event)


PROMPT_HOOKS = StateKey[PromptHooks]("prompts.hooks")
"""Where a server keeps its hooks."""


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, PromptHooks] = weakref.WeakKeyDictionary()


def hooks_of(slots: Slots, engine: Engine) -> PromptHooks:
    """The server's hooks, made by whichever capability installs first (capabilities install in name order).

    They are also found by the server's engine (`guards_for`), so every caller of the prompts service that
    moves a label (the API, the dashboard's pages) is guarded without having to pass the guards along."""
    hooks = slots.get(PROMPT_HOOKS)
    if hooks is None:
        hooks = PromptHooks()
        slots[PROMPT_HOOKS] = hooks
    _BY_ENGINE[engine] = hooks
    return hooks


def guards_for(engine: Engine) -> tuple[LabelGuard, ...]:
    """The label guards registered for the server that owns `engine` (none outside a server: the CLI's store)."""
    hooks = _BY_ENGINE.get(engine)
    return tuple(hooks.guards) if hooks is not None else ()
