"""Online scorers as typed values: what a scorer judges (its filter), how often (its sample) and with what (its spec).

`CallFilter.matches` runs on the gateway's hot path for every successful chat call of a workload with scorers,
so it compares a few strings and returns; nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "MAX_SCORERS_PER_WORKLOAD",
    "NAME_PATTERN",
    "CallFacts",
    "CallFilter",
    "OnlineScorer",
    "config_scorer_id",
]

MAX_SCORERS_PER_WORKLOAD = 20
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What a filter reads of one gateway call (taken from the call's context, no copies)."""

    model: str | None
    endpoint: str
    route: str | None
    prompt: str | None
    prompt_version: int | None
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which calls a scorer judges: every field given must match (None: any). `model` is the model the call
    asked for or was resolved to, `route` the deployment that served it, `tags` a subset of the call's tags."""

    model: str | None = None
    endpoint: str | None = None
    route: str | None = None
    prompt: str | None = None
    prompt_version: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def matches(self, call: CallFacts) -> bool:
        if self.model is not None and self.model != call.model:
            return False
        if self.endpoint is not None and self.endpoint != call.endpoint:
            return False
        if self.route is not None and self.route != call.route:
            return False
        if self.prompt is not None and self.prompt != call.prompt:
            return False
        if self.prompt_version is not None and self.prompt_version != call.prompt_version:
            return False
        return all(call.tags.get(k) == v for k, v in self.tags.items())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("model", "endpoint", "route", "prompt", "prompt_version"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.tags:
            out["tags"] = dict(self.tags)
        return out

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CallFilter:
        version = raw.get("prompt_version")
        return cls(
            model=raw.get("model"),
            endpoint=raw.get("endpoint"),
            route=raw.get("route"),
            prompt=raw.get("prompt"),
            prompt_version=int(version) if version is not None else None,
            tags={str(k): str(v) for k, v in (raw.get("tags") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class OnlineScorer:
    """One scorer attached to a workload: its name (the score records' name), the assertion spec it is built
    from (any type of the evaluation registry), the share of matching calls it judges and where it was declared."""

    id: str
    workload: str
    name: str
    spec: Mapping[str, Any]
    sample: float
    filter: CallFilter
    source: str  # "config" (rungway.yaml) or "api"
    created_at: float
    created_by: str | None = None

    @property
    def type(self) -> str:
        return str(self.spec.get("type", ""))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workload": self.workload,
            "name": self.name,
            "type": self.type,
            "assert": dict(self.spec),
            "sample": self.sample,
            "filter": self.filter.to_json(),
            "source": self.source,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


def config_scorer_id(workload: str, name: str, spec: Mapping[str, Any]) -> str:
    """The stable id a configured scorer gets (the same on every replica, new when its spec changes)."""
    digest = hashlib.sha256(orjson.dumps([workload, name, spec], option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"ons_cfg_{digest[:24]}"
