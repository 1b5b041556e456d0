"""Annotating a run's case from its page: a person's score (source `annotation`) of that case and its trace.

The same record `POST /api/scores` writes, checked by the same `score_from_body`; the target is taken from
the stored result (its run, case key and trace id), never from the form, so a person annotates only cases
of runs their key may read. A developer or the admin may annotate; a viewer sees no form (and is refused).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import web

from rungway.domain.ids import new_id
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest, NotFound
from rungway.evals.pages import pages
from rungway.evals.pages.runs import RUNS_PAGE, run_caller
from rungway.evals.runs.service import readable_run
from rungway.evals.runs.store import read_results
from rungway.evals.scores.model import MAX_COMMENT_CHARS, NAME_PATTERN, score_from_body
from rungway.evals.scores.store import insert_scores
from rungway.gateway.routes import STATE
from rungway.web.render import current_session, redirect

__all__ = ["ANNOTATE_FORM", "form_fields"]

ANNOTATE_FORM = {"case_key": 200, "repeat": 4, "name": 128, "value": 32, "comment": MAX_COMMENT_CHARS}


def form_fields(form: Mapping[str, Any], fields: Mapping[str, int]) -> dict[str, str]:
    """The form's fields, trimmed, each at most its length; an unknown field or a file is a 400."""
    unknown = sorted(set(form) - set(fields) - {"csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    values: dict[str, str] = {}
    for name, longest in fields.items():
        value = form.get(name, "")
        if not isinstance(value, str) or len(value) > longest:
            raise InvalidRequest(f"{name} must be text of at most {longest:,} characters", param=name)
        values[name] = value.strip()
    return values


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidRequest(f"{name} must be a number, e.g. 1 or 0.5", param=name) from None
    if not math.isfinite(value):
        raise InvalidRequest(f"{name} must be a finite number", param=name)
    return value


@pages.page(f"{RUNS_PAGE}/{{id}}/annotations", title="Annotate a case", method="POST", role=Role.DEVELOPER)
async def annotate(request: web.Request) -> web.StreamResponse:
    caller = current_session(request).caller
    engine = request.app[STATE].engine
    run = await asyncio.to_thread(readable_run, engine, run_caller(caller), request.match_info["id"])
    v = form_fields(await request.post(), ANNOTATE_FORM)
    if not v["repeat"].isdigit():
        raise InvalidRequest("repeat must be a whole number", param="repeat")
    repeat = int(v["repeat"])
    rows = await asyncio.to_thread(read_results, engine, run.id, after=(v["case_key"], repeat - 1), limit=1)
    if not rows or rows[0].case_key != v["case_key"] or rows[0].repeat != repeat:
        raise NotFound(f"run {run.id} has no case {v['case_key']!r} (repeat {repeat})", param="case_key")
    body: dict[str, Any] = {
        "name": v["name"],
        "value": _number(v["value"], "value"),
        "source": "annotation",
        "run_id": run.id,
        "case_key": rows[0].case_key,
        "comment": v["comment"] or None,
    }
    if rows[0].trace_id:
        body["trace_id"] = rows[0].trace_id
    if re.fullmatch(NAME_PATTERN, v["name"]) is None:
        raise InvalidRequest("name the score with letters, digits, space, . _ : / -, e.g. helpfulness", param="name")
    score = score_from_body(body, where="", score_id=new_id("sc_"), workload=run.workload,
                            author=caller.key_id or "admin", author_key_id=caller.key_id, now=time.time())  # fmt: skip
    await asyncio.to_thread(insert_scores, engine, [score])
    return redirect(f"{RUNS_PAGE}/{quote(run.id, safe='')}#annotated")
