"""Creating and changing workloads: the use case behind `rungway workloads` and `/api/workloads`.

Input arrives as loose values (JSON bodies, CLI options); this module checks each field once,
with a message that names the field and what to write, before anything reaches the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from rungway.domain.workloads import ContentCapture, RiskTier, Workload, valid_workload_name
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.store.workloads import create_workload, get_workload, upsert_workload

__all__ = [
    "WORKLOAD_FIELDS",
    "add_workload",
    "describe_workload",
    "find_workload",
    "parse_workload_fields",
    "update_workload",
]

# The fields a caller may set, as named in JSON bodies and CLI options.
WORKLOAD_FIELDS = (
    "description",
    "team",
    "tenant",
    "risk_tier",
    "capture",
    "retention_days",
    "rpm_limit",
    "tpm_limit",
)


def _text(field: str, value: Any, optional: bool) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string, got {value!r}", param=field)
    return value


def _limit(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"{field} must be a whole number >= 1 or null, got {value!r}", param=field)
    return value


def _choice(field: str, value: Any, kind: type[RiskTier] | type[ContentCapture]) -> Any:
    try:
        return kind(value)
    except ValueError:
        options = "|".join(m.value for m in kind)
        raise InvalidRequest(f"{field} must be one of {options}, got {value!r}", param=field) from None


def parse_workload_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate caller-supplied fields into `Workload` attribute values (only those present)."""
    out: dict[str, Any] = {}
    for field, value in raw.items():
        if field not in WORKLOAD_FIELDS:
            raise InvalidRequest(f"unknown workload field {field!r}; use {', '.join(WORKLOAD_FIELDS)}", param=field)
        if field == "description":
            out["description"] = _text(field, value, optional=False)
        elif field in ("team", "tenant"):
            out[field] = _text(field, value, optional=True)
        elif field == "risk_tier":
            out["risk_tier"] = _choice(field, value, RiskTier)
        elif field == "capture":
            out["content_capture"] = _choice(field, value, ContentCapture)
        else:
            out[field] = _limit(field, value)
    return out


def find_workload(engine: Engine, name: str) -> Workload:
    workload = get_workload(engine, name)
    if workload is None:
        raise NotFound(f"no workload named {name!r}; list them with `rungway workloads list`", param="name")
    return workload


def add_workload(engine: Engine, name: str, fields: Mapping[str, Any]) -> Workload:
    """Create a workload; Conflict when the name is taken."""
    if not valid_workload_name(name):
        raise InvalidRequest(
            f"invalid workload name {name!r}: use lowercase letters, digits, '.', '_' or '-' (at most 63)",
            param="name",
        )
    if not create_workload(engine, Workload(name=name, **parse_workload_fields(fields))):
        raise Conflict(f"workload {name!r} exists already; change it with PATCH /api/workloads/{name}")
    return find_workload(engine, name)


def update_workload(engine: Engine, name: str, fields: Mapping[str, Any]) -> Workload:
    """Change some fields of a workload (limits, capture, team, risk tier, ...)."""
    current = find_workload(engine, name)
    upsert_workload(engine, dataclasses.replace(current, **parse_workload_fields(fields)))
    return find_workload(engine, name)


def describe_workload(w: Workload) -> dict[str, Any]:
    return {
        "name": w.name,
        "description": w.description,
        "team": w.team,
        "tenant": w.tenant,
        "risk_tier": w.risk_tier.value,
        "capture": w.content_capture.value,
        "retention_days": w.retention_days,
        "rpm_limit": w.rpm_limit,
        "tpm_limit": w.tpm_limit,
        "created_at": w.created_at,
    }
