"""Shared pieces of the prompt library's tests: a migrated store, actors, and prompt content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.keys import KeyKind, Role
from rungway.domain.workloads import Workload
from rungway.prompts.model import Actor
from rungway.prompts.template import PromptContent
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.workloads import upsert_workload


def open_store(url: str) -> Engine:
    """A store migrated with every capability (the prompts branch included) holding workloads test and limited."""
    engine = create_store_engine(url)
    upgrade(engine, {**migration_packages(), "prompts": "rungway.prompts.migrations"})
    upsert_workload(engine, Workload(name="test", team="qa"))
    upsert_workload(engine, Workload(name="limited", team="other"))
    return engine


def person(name: str, workload: str | None = "test", role: Role = Role.DEVELOPER) -> Actor:
    return Actor(name, f"key_{name}", role, KeyKind.PERSON, workload)


def app_key(key_id: str, workload: str = "test", role: Role = Role.DEVELOPER) -> Actor:
    return Actor(key_id, key_id, role, KeyKind.APPLICATION, workload)


ADMIN = Actor.server_admin()


def content(text: str = "Answer {{question}} politely.", **extra: Any) -> PromptContent:
    raw: dict[str, Any] = {
        "messages": [{"role": "system", "content": "You are a support agent."}, {"role": "user", "content": text}],
        "model": "gpt-4o-mini",
        "parameters": {"temperature": 0.2},
    }
    raw.update(extra)
    return PromptContent.from_json(raw)
