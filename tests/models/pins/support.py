"""Shared pieces of the pins tests: a config with pinned and floating models, a tiny catalogue, the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rungway.store.schema import requests
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

CONFIG = (
    SIMULATOR_CONFIG.replace(
        "models:\n",
        "models:\n  gpt-4o-2024-08-06:\n    provider: sim\n    model: gpt-4o-2024-08-06\n"
        "  gpt-4o-2024-11-20:\n    provider: sim\n    model: gpt-4o-2024-11-20\n"
        "  gpt-4o-latest:\n    provider: sim\n    model: gpt-4o-latest\n",
    )
    + """  strict: {}
  other: {}
pinning:
  refresh: 1s
  workloads:
    test:
      pins: {gpt-4o-latest: gpt-4o-2024-08-06}
    strict:
      floating_aliases: refuse
"""
)


@dataclass(frozen=True)
class Entry:
    """A catalogue entry as pins read it."""

    name: str
    floating: bool = False
    alias_of: str | None = None
    status: str = "approved"


class Catalogue:
    """An in-memory catalogue (the catalogue slice's view has the same two methods)."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = {e.name: e for e in entries}

    def entry(self, name: str) -> Entry | None:
        return self._entries.get(name)

    def entries(self) -> Sequence[Entry]:
        return list(self._entries.values())


def logged(gw: Gateway) -> list[Any]:
    """(model_requested, model_resolved, model_pinned, status) of every logged call, oldest first."""
    gw.flush()
    c = requests.c
    with gw.state.engine.connect() as conn:
        rows = conn.execute(select(c.model_requested, c.model_resolved, c.model_pinned, c.status).order_by(c.ts_start))
        return [tuple(r) for r in rows]
