"""`/api/scores`: record judgements (one, or a batch of up to 1,000) and read them back, scoped to the workload.

A developer key (an application's key included: end-user feedback comes from the application) writes its
own workload's scores; an admin names the workload. Reads are the caller's workload only (an admin: any,
with `?workload=`, else all). A score the client gives an `id` is stored once however often it is sent
(a retry after a lost answer): the answer says which ids were new.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from rungway.api.bodies import json_object, nullable, text
from rungway.api.registry import ApiRouter, QueryParam
from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from rungway.evals.api_access import WORKLOAD_PARAM, actor_for, target_workload, view_of
from rungway.evals.scores.model import (
    DATA_TYPES,
    ID_PATTERN,
    MAX_BATCH,
    MAX_COMMENT_CHARS,
    NAME_PATTERN,
    SOURCES,
    Score,
    score_from_body,
)
from rungway.evals.scores.store import ScoreQuery, insert_scores, read_scores
from rungway.gateway.responses import json_response
from rungway.gateway.routes import STATE
from rungway.services.logs import parse_time

__all__ = ["router"]

router = ApiRouter("scores")

_ITEM_FIELDS: dict[str, Any] = {
    "id": {"type": "string", "pattern": ID_PATTERN, "description": "the client's id: a retry is stored once"},
    "trace_id": {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"},
    "span_id": {"type": "string", "pattern": "^[0-9a-fA-F]{16}$"},
    "run_id": text(64, min_length=1),
    "case_key": text(200, min_length=1),
    "name": {"type": "string", "pattern": NAME_PATTERN, "description": "what is judged, e.g. helpfulness"},
    "data_type": {"type": "string", "enum": list(DATA_TYPES), "description": "default: from the value's type"},
    "value": {
        "type": ["number", "boolean", "string", "null"],
        "maxLength": 256,
        "description": "a number, true/false, or a category",
    },
    "string_value": nullable(text(256, "a categorical score's category")),
    "comment": nullable(text(MAX_COMMENT_CHARS, multiline=True)),
    "source": {"type": "string", "enum": list(SOURCES), "default": "feedback"},
    "scorer": nullable(text(200, "the scorer (eval and online scores), e.g. llm-rubric")),
    "scorer_version": nullable(text(64)),
}
_ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": _ITEM_FIELDS,
}
_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "one score, or {scores: [...]} (a batch of up to 1,000, stored together or not at all)",
    "properties": {
        **_ITEM_FIELDS,
        "workload": text(64, "the workload the scores belong to (default: the key's)", min_length=1),
        "scores": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": _ITEM},
    },
}
_SCORE: dict[str, Any] = {
    "type": "object",
    "properties": {name: {} for name in (*_ITEM_FIELDS, "workload", "author", "created_at")},
}


def _items(body: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(item, where) pairs: the batch's items, or the body itself as one score."""
    if "scores" not in body:
        if "name" not in body:
            raise InvalidRequest("name: is required (or send a batch as {scores: [...]})", param="name")
        return [({k: v for k, v in body.items() if k != "workload"}, "")]
    mixed = sorted(set(body) - {"scores", "workload"})
    if mixed:
        raise InvalidRequest(f"{mixed[0]}: give it inside each item of scores, not beside them", param=mixed[0])
    return [(item, f"scores[{index}].") for index, item in enumerate(body["scores"])]


@router.route(
    "POST",
    "/api/scores",
    summary="Record scores of traces or eval cases (one, or a batch of up to 1,000)",
    role=Role.DEVELOPER,
    body=_BODY,
    response={"type": "object", "properties": {"data": {"type": "array", "items": _SCORE},
                                               "created": {"type": "integer"}, "duplicates": {"type": "array"}}},
    status=201,
)  # fmt: skip
async def post_scores(request: web.Request) -> web.StreamResponse:
    body = await json_object(request)
    actor = await actor_for(request)
    workload = target_workload(body, actor, may_share=False)
    assert workload is not None  # may_share=False: a shared score does not exist
    now = time.time()
    scores = [
        score_from_body(item, where=where, score_id=item.get("id") or new_id("sc_"), workload=workload,
                        author=actor.name, author_key_id=actor.key_id, now=now)
        for item, where in _items(body)
    ]  # fmt: skip
    unique = list({s.id: s for s in reversed(scores)}.values())[::-1]  # a retry inside one batch: the first counts
    known = await asyncio.to_thread(insert_scores, request.app[STATE].engine, unique)
    fresh = [s for s in unique if (s.workload, s.id) not in known]
    repeated = {s.id for s in scores} - {s.id for s in fresh}
    data = {"object": "list", "data": [s.to_json() for s in unique], "created": len(fresh),
            "duplicates": sorted(repeated)}  # fmt: skip
    return json_response(data, status=201 if fresh else 200)


@router.route(
    "GET",
    "/api/scores",
    summary="Scores of this key's workload, newest first",
    params=[
        WORKLOAD_PARAM,
        QueryParam("trace_id", "one trace's scores", max_length=32),
        QueryParam("run_id", "one eval run's scores", max_length=64),
        QueryParam("name", "one score name", max_length=128),
        QueryParam("source", "one source", enum=SOURCES),
        QueryParam("since", "7d, an ISO date or epoch seconds", type="time"),
        QueryParam("limit", "at most this many (default 100)", type="integer", minimum=1, maximum=1000),
    ],
    response={"type": "object", "properties": {"data": {"type": "array", "items": _SCORE}}},
)
async def get_scores(request: web.Request) -> web.StreamResponse:
    q = request.query
    query = ScoreQuery(
        workload=view_of(request, "scores"),
        trace_id=(q.get("trace_id") or "").lower() or None,
        run_id=q.get("run_id") or None,
        name=q.get("name") or None,
        source=q.get("source") or None,
        since=parse_time(q.get("since"), time.time(), "since"),
        limit=int(q.get("limit") or 100),
    )
    found: list[Score] = await asyncio.to_thread(read_scores, request.app[STATE].engine, query)
    return json_response({"object": "list", "data": [s.to_json() for s in found]})
