"""Step: attribute the call to a workload, a user, tags and a trace.

User: the `x-rungway-user` header, else the OpenAI `user` field, else the key's owner.
Tags: `x-rungway-tags: k=v,k2=v2` and the request's `metadata` object.
Trace: a W3C `traceparent` joins that trace as a child span; otherwise a new trace starts.
"""

from __future__ import annotations

import re

from rungway.domain.ids import new_span_id, new_trace_id
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
MAX_TAGS = 32


def parse_tags(header: str | None, metadata: object) -> dict[str, str]:
    tags: dict[str, str] = {}
    if header:
        for part in header.split(","):
            key, sep, value = part.partition("=")
            if sep and key.strip():
                tags[key.strip()[:64]] = value.strip()[:256]
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            if isinstance(value, str | int | float | bool):
                tags[str(key)[:64]] = str(value)[:256]
    return dict(list(tags.items())[:MAX_TAGS])


async def attribute(state: GatewayState, ctx: CallContext) -> None:
    headers = ctx.request.headers
    body_user = ctx.body.get("user")
    key = ctx.key
    ctx.user = (
        headers.get("x-rungway-user")
        or (body_user if isinstance(body_user, str) and body_user else None)
        or (key.owner if key is not None else None)
    )
    ctx.tags = parse_tags(headers.get("x-rungway-tags"), ctx.body.get("metadata"))
    if "metadata" in ctx.body and not ctx.body.get("store"):
        # OpenAI accepts `metadata` only with `store: true`; it is ours to keep, not to forward.
        del ctx.body["metadata"]
    parent = headers.get("traceparent")
    match = _TRACEPARENT.match(parent.strip().lower()) if parent else None
    if match and match.group(1) != "0" * 32:
        ctx.trace_id, ctx.parent_span_id = match.group(1), match.group(2)
    else:
        ctx.trace_id = new_trace_id()
    ctx.span_id = new_span_id()
