"""Step: authenticate the caller's API key from the in-memory directory."""

from __future__ import annotations

import hmac
import time

from rungway.errors import AuthenticationFailed, PermissionDenied
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState


def bearer_secret(headers: object) -> str | None:
    """The key from `Authorization: Bearer`, `api-key` (Azure style) or `x-api-key` (Anthropic style)."""
    get = headers.get  # type: ignore[attr-defined]
    auth = get("Authorization")
    if auth:
        scheme, _, value = str(auth).partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None
    other = get("api-key") or get("x-api-key")
    return str(other) if other else None


async def authenticate(state: GatewayState, ctx: CallContext) -> None:
    secret = bearer_secret(ctx.request.headers)
    if not secret:
        raise AuthenticationFailed(
            "Missing API key. Send it as `Authorization: Bearer rw-...` (create one with `rungway keys create`).",
            code="missing_api_key",
        )
    key = await state.directory.key_for(secret)
    if key is None:
        admin = state.config.server.admin_key
        if admin and hmac.compare_digest(secret.encode(), admin.encode()):
            raise PermissionDenied(
                "This is the admin key: it is for the management API (/api/...). Calls to /v1 need a workload's "
                "API key: create one with `rungway keys create --workload NAME` (or POST /api/keys).",
                code="admin_key_not_for_gateway",
            )
        raise AuthenticationFailed(f"Incorrect API key provided: {secret[:7]}***. Check the key or create a new one.")
    if not key.is_active(time.time()):
        reason = "revoked" if key.revoked_at is not None else "expired"
        raise AuthenticationFailed(f"API key {key.prefix}... has been {reason}.", code=f"api_key_{reason}")
    ctx.key = key
    ctx.workload = state.directory.workload(key.workload)
