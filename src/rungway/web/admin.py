"""The Keys and Workloads pages, for admins: create and revoke API keys (the secret shown once), create
workloads and change their limits, risk tier and content capture.

The same use cases as `/api/keys` and `/api/workloads` (`create_api_key`, `revoke_api_key`,
`add_workload`, `update_workload`), with the same effect on this gateway at once: the in-memory
directory is updated here, other replicas pick the change up within their refresh. Every page and
change needs the admin role (the API's rule), so a viewer or developer gets a 403 by link, by URL
and by a forged POST alike. A new key's secret is shown on the answer to the create form only; it is
never stored, so it cannot be shown again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from rungway.api.registry import QueryParam
from rungway.domain.keys import KeyKind, Role
from rungway.domain.workloads import ContentCapture, RiskTier
from rungway.errors import InvalidRequest
from rungway.gateway.routes import STATE
from rungway.services.keys import create_api_key, describe_key, resolve_expiry, revoke_api_key
from rungway.services.workloads import add_workload, describe_workload, update_workload
from rungway.settings.config import INT64_MAX
from rungway.store.keys import list_keys
from rungway.store.workloads import get_workload, list_workloads
from rungway.web.pages import PageRouter
from rungway.web.render import redirect, render

__all__ = ["KEY_FORM", "WORKLOAD_FORM", "form_values", "pages"]

pages = PageRouter("admin")

# Each form's fields and their longest value (the bounds of the API's bodies).
KEY_FORM = {
    "workload": 63,
    "name": 128,
    "owner": 256,
    "role": 16,
    "kind": 16,
    "allowed_models": 4096,
    "rpm_limit": 20,
    "tpm_limit": 20,
    "expires_in": 16,
}
WORKLOAD_FORM = {
    "name": 63,
    "description": 4096,
    "team": 128,
    "tenant": 128,
    "risk_tier": 32,
    "capture": 32,
    "retention_days": 20,
    "rpm_limit": 20,
    "tpm_limit": 20,
}
_LIMITS = ("retention_days", "rpm_limit", "tpm_limit")


def form_values(form: Any, fields: dict[str, int]) -> dict[str, str]:
    """The form's fields, trimmed and bounded; an unknown field or an overlong value is a 400."""
    unknown = sorted(set(form) - set(fields) - {"csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    values = {}
    for name, longest in fields.items():
        value = form.get(name, "")
        if not isinstance(value, str) or len(value) > longest:
            raise InvalidRequest(f"{name} must be text of at most {longest} characters", param=name)
        values[name] = value.strip()
    return values


def _whole(values: dict[str, str], name: str) -> int | None:
    """An optional limit: empty for none, else a whole number from 1 (as `/api` and the config take)."""
    raw = values[name].replace(",", "").replace("_", "")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= INT64_MAX:
        raise InvalidRequest(f"{name} must be a whole number of at least 1, or empty for none", param=name)
    return int(raw)


def _role(raw: str) -> Role:
    try:
        return Role(raw or Role.DEVELOPER.value)
    except ValueError:
        raise InvalidRequest(f"role must be admin, developer or viewer, got {raw!r}", param="role") from None


def _kind(raw: str) -> KeyKind:
    try:
        return KeyKind(raw or KeyKind.APPLICATION.value)
    except ValueError:
        raise InvalidRequest(f"kind must be application or person, got {raw!r}", param="kind") from None


def _models(raw: str) -> tuple[str, ...]:
    models = tuple(m.strip() for m in raw.replace("\n", ",").split(",") if m.strip())
    if len(models) > 256 or any(len(m) > 128 for m in models):
        raise InvalidRequest("allowed models: at most 256 names of at most 128 characters each", param="allowed_models")
    return models


async def _keys_page(request: web.Request, created: dict[str, Any] | None = None) -> web.StreamResponse:
    q = request.query
    engine = request.app[STATE].engine
    workload = q.get("workload") or None
    revoked = q.get("include_revoked", "").lower() in ("true", "1", "yes")
    keys, workloads = await asyncio.gather(
        asyncio.to_thread(list_keys, engine, workload, revoked), asyncio.to_thread(list_workloads, engine)
    )
    now = time.time()
    return render(
        request,
        "web/keys.html",
        title="API keys",
        keys=[describe_key(k, now) for k in keys],
        workloads=[w.name for w in workloads],
        query={"workload": workload or "", "include_revoked": revoked},
        roles=[(r.value, r.value) for r in (Role.DEVELOPER, Role.VIEWER, Role.ADMIN)],
        kinds=[
            (KeyKind.APPLICATION.value, "application (serves calls)"),
            (KeyKind.PERSON.value, "person (may attest)"),
        ],
        created=created,
        status=201 if created else 200,
    )


KEY_FILTERS = [
    QueryParam("workload", "only this workload's keys", max_length=64),
    QueryParam("include_revoked", "also list revoked keys", type="boolean"),
]


@pages.page("/ui/keys", title="API keys", role=Role.ADMIN, nav="Keys", order=70, params=KEY_FILTERS)
async def keys_page(request: web.Request) -> web.StreamResponse:
    return await _keys_page(request)


@pages.page("/ui/keys", title="Create an API key", role=Role.ADMIN, method="POST")
async def create_key(request: web.Request) -> web.StreamResponse:
    """Create the key and answer with the page showing its secret, this once."""
    v = form_values(await request.post(), KEY_FORM)
    if not v["workload"]:
        raise InvalidRequest("workload is required, e.g. support-bot", param="workload")
    state = request.app[STATE]
    created = await asyncio.to_thread(
        create_api_key,
        state.engine,
        workload=v["workload"],
        name=v["name"],
        owner=v["owner"] or None,
        role=_role(v["role"]),
        kind=_kind(v["kind"]),
        allowed_models=_models(v["allowed_models"]),
        rpm_limit=_whole(v, "rpm_limit"),
        tpm_limit=_whole(v, "tpm_limit"),
        expires_at=resolve_expiry(None, v["expires_in"] or None, time.time()),
    )
    state.directory.put_key(created.key)
    row = await asyncio.to_thread(get_workload, state.engine, created.key.workload)
    if row is not None:
        state.directory.put_workload(row)
    shown = {"key": describe_key(created.key), "secret": created.secret, "workload_created": created.workload_created}
    return await _keys_page(request, shown)


@pages.page("/ui/keys/{key_id}/revoke", title="Revoke an API key", role=Role.ADMIN, method="POST")
async def revoke_key(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    key = await asyncio.to_thread(revoke_api_key, state.engine, request.match_info["key_id"])
    state.directory.put_key(key)  # refused on this gateway at once; its dashboard sessions end with it
    return redirect(f"/ui/keys?{urlencode({'workload': key.workload})}")


@pages.page("/ui/workloads", title="Workloads", role=Role.ADMIN, nav="Workloads", order=71)
async def workloads_page(request: web.Request) -> web.StreamResponse:
    rows = await asyncio.to_thread(list_workloads, request.app[STATE].engine)
    return render(
        request,
        "web/workloads.html",
        title="Workloads",
        workloads=[describe_workload(w) for w in rows],
        tiers=[(t.value, t.value) for t in RiskTier],
        captures=[(c.value, c.value) for c in ContentCapture],
    )


def _workload_fields(v: dict[str, str], creating: bool) -> dict[str, Any]:
    """The form as `/api/workloads` fields: an empty limit is none; an empty text keeps (or leaves) it unset."""
    fields: dict[str, Any] = {name: _whole(v, name) for name in _LIMITS}
    for name in ("team", "tenant"):
        fields[name] = v[name] or None
    for name in ("risk_tier", "capture"):
        if v[name]:
            fields[name] = v[name]
    if v["description"] or creating:
        fields["description"] = v["description"]
    return fields


@pages.page("/ui/workloads", title="Create a workload", role=Role.ADMIN, method="POST")
async def create_workload(request: web.Request) -> web.StreamResponse:
    v = form_values(await request.post(), WORKLOAD_FORM)
    state = request.app[STATE]
    workload = await asyncio.to_thread(add_workload, state.engine, v["name"], _workload_fields(v, creating=True))
    state.directory.put_workload(workload)
    return redirect(f"/ui/workloads#workload-{workload.name}")


@pages.page("/ui/workloads/{name}", title="Change a workload", role=Role.ADMIN, method="POST")
async def change_workload(request: web.Request) -> web.StreamResponse:
    v = form_values(await request.post(), WORKLOAD_FORM)
    state = request.app[STATE]
    name = request.match_info["name"]
    workload = await asyncio.to_thread(update_workload, state.engine, name, _workload_fields(v, creating=False))
    state.directory.put_workload(workload)  # the new limits bind on this gateway at once
    return redirect(f"/ui/workloads#workload-{workload.name}")
