"""Step: attribute the call to a workload, a user, a session, tags and a trace.

User: the `x-rungway-user` header, else the OpenAI `user` field, else the key's owner.
Session: the `x-rungway-session-id` header, else the `session_id` (or `session.id`) tag.
Tags: `x-rungway-tags: k=v,k2=v2` and the request's `metadata` object.
Trace: a W3C `traceparent` joins that trace as a child span; otherwise a new trace starts.

Every value is cleaned and cut by `rungway.domain.bounds` (same rules on SQLite and PostgreSQL);
a field that was changed is named in the call's `rungway.cleaned` tag.
"""

from __future__ import annotations

import re

from rungway.domain.bounds import CLEANED_TAG, MAX_TAGS, SESSION, TAG_KEY, TAG_VALUE, USER, clean_text, fits
from rungway.domain.ids import new_span_id, new_trace_id
from rungway.gateway.context import CallContext
from rungway.gateway.state import GatewayState

__all__ = ["MAX_TAGS", "SESSION_HEADER", "attribute", "parse_tags"]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
SESSION_HEADER = "x-rungway-session-id"


def parse_tags(header: str | None, metadata: object, cleaned: set[str] | None = None) -> dict[str, str]:
    """Tags from the header and `metadata`, each key and value cleaned and cut; at most MAX_TAGS.

    `cleaned` (when given) receives "tags" if any tag was cut, cleaned or dropped."""
    pairs: list[tuple[str, str]] = []
    if header:
        for part in header.split(","):
            name, sep, text = part.partition("=")
            if sep:
                pairs.append((name, text))
    if isinstance(metadata, dict):
        pairs.extend((str(k), str(v)) for k, v in metadata.items() if isinstance(v, str | int | float | bool))
    tags: dict[str, str] = {}
    changed = False
    for raw_key, raw_value in pairs:
        key, value = raw_key.strip(), raw_value.strip()
        if not (fits(key, TAG_KEY) and fits(value, TAG_VALUE)):
            key, value = clean_text(key, TAG_KEY).value, clean_text(value, TAG_VALUE).value
            changed = True
        if not key:
            continue
        if key not in tags and len(tags) >= MAX_TAGS:
            changed = True
            continue
        tags[key] = value
    if changed and cleaned is not None:
        cleaned.add("tags")
    return tags


def _user(ctx: CallContext, cleaned: set[str]) -> str | None:
    body_user = ctx.body.get("user")  # a string when present: parse_chat_body refuses other types
    for candidate in (ctx.request.headers.get("x-rungway-user"), body_user if isinstance(body_user, str) else None):
        if candidate:
            user = clean_text(candidate, USER)
            if user.changed:
                cleaned.add("user")
            if user.value:
                ctx.user_from_request = True
                return user.value
    return ctx.key.owner if ctx.key is not None else None


async def attribute(state: GatewayState, ctx: CallContext) -> None:
    headers = ctx.request.headers
    cleaned: set[str] = set()
    ctx.user = _user(ctx, cleaned)
    ctx.tags = parse_tags(headers.get("x-rungway-tags"), ctx.body.get("metadata"), cleaned)
    raw_session = headers.get(SESSION_HEADER) or ctx.tags.get("session_id") or ctx.tags.get("session.id")
    if raw_session:
        session = clean_text(raw_session, SESSION)
        if session.changed:
            cleaned.add("session")
        ctx.session = session.value or None
    if cleaned:
        ctx.tags[CLEANED_TAG] = ",".join(sorted(cleaned))
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
