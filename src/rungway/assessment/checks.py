"""The evidence checks Rungway can answer from what it records: the request log, keys, spans, budgets.

Each check answers for every workload from shared, pre-aggregated request facts (see
`rungway.assessment.facts`) plus at most one small query of its own. Thresholds are
fractions of calls; a workload with no calls in the window has no evidence, so its request
checks are unmet, never met.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import column, select, table

from rungway.assessment.model import is_dated_snapshot
from rungway.evidence import (
    CheckContext,
    CheckOutcome,
    CheckRequest,
    RequestFacts,
    Verdict,
    evidence_check,
    ratio_verdict,
)
from rungway.store.schema import api_keys

_NO_CALLS = "no calls through the gateway in the window: nothing to evidence"
_budgets = table(
    "budgets",
    column("id"),
    column("scope"),
    column("workload"),
    column("user_id"),
    column("hard"),
    column("period"),
    column("starts_at"),
    column("ends_at"),
    column("deleted_at"),
)


def _total(rows: Sequence[RequestFacts], measure: str, where: Callable[[RequestFacts], bool] | None = None) -> int:
    return sum(int(getattr(r, measure)) for r in rows if where is None or where(r))


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _threshold(req: CheckRequest, default: float = 1.0) -> float:
    return req.threshold if req.threshold is not None else default


def _per_workload(
    ctx: CheckContext, req: CheckRequest, answer: Callable[[str, list[RequestFacts]], CheckOutcome]
) -> dict[str, CheckOutcome]:
    facts = ctx.facts(req.window_days)
    out = {}
    for w in ctx.workloads:
        rows = facts.get(w.name, [])
        if _total(rows, "calls") == 0:
            out[w.name] = CheckOutcome(Verdict.UNMET, _NO_CALLS, {"calls": 0})
        else:
            out[w.name] = answer(w.name, rows)
    return out


@evidence_check("authentication")
def check_authentication(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Every call made with a key of the workload; no key used by two workloads; no admin key as app key."""
    facts = ctx.facts(req.window_days)
    used = {r.key_id for rows in facts.values() for r in rows if r.key_id}
    owners: dict[str, tuple[str, str]] = {}
    if used:
        with ctx.engine.connect() as conn:
            q = select(api_keys.c.id, api_keys.c.workload, api_keys.c.role).where(api_keys.c.id.in_(sorted(used)))
            owners = {row.id: (row.workload, row.role) for row in conn.execute(q)}
    users_of_key: dict[str, set[str]] = {}
    for name, rows in facts.items():
        for r in rows:
            if r.key_id:
                users_of_key.setdefault(r.key_id, set()).add(name)
    threshold = _threshold(req)

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls = _total(rows, "calls")
        keys = sorted({r.key_id for r in rows if r.key_id})
        keyless = _total(rows, "calls", lambda r: not r.key_id)
        shared = sorted(k for k in keys if owners.get(k, (name, ""))[0] != name or len(users_of_key[k]) > 1)
        foreign = _total(rows, "calls", lambda r: r.key_id in shared)
        admin = sorted(k for k in keys if owners.get(k, ("", ""))[1] == "admin")
        proper = calls - keyless - foreign
        evidence = {
            "calls": calls,
            "keys_used": keys[:20],
            "calls_without_key": keyless,
            "shared_keys": shared,
            "calls_with_shared_keys": foreign,
            "admin_keys_used": admin,
        }
        verdict = ratio_verdict(proper, calls, threshold)
        if verdict is Verdict.MET and admin:
            return CheckOutcome(Verdict.PARTIAL, "calls authenticated, but an admin-role key serves traffic", evidence)
        reason = f"{_pct(proper, calls)}% of calls used a key owned by this workload alone"
        return CheckOutcome(verdict, reason, evidence)

    return _per_workload(ctx, req, answer)


@evidence_check("basic_logging")
def check_basic_logging(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """The request log holds the workload's calls with status and latency."""
    threshold = _threshold(req)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, logged, errors = _total(rows, "calls"), _total(rows, "with_latency"), _total(rows, "errors")
        evidence = {"calls": calls, "with_latency": logged, "errors": errors, "error_rate_pct": _pct(errors, calls)}
        reason = f"{calls} calls logged with status and latency; error rate {_pct(errors, calls)}%"
        return CheckOutcome(ratio_verdict(logged, calls, threshold), reason, evidence)

    return _per_workload(ctx, req, answer)


@evidence_check("provider_cost_monitoring")
def check_provider_cost_monitoring(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Successful calls priced, and every call records the provider account."""
    threshold = _threshold(req, 0.95)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, ok, priced = _total(rows, "calls"), _total(rows, "ok_calls"), _total(rows, "ok_priced")
        accounted = _total(rows, "with_account")
        unpriced = sorted({r.model_resolved for r in rows if r.ok_calls > r.ok_priced and r.model_resolved})
        evidence = {
            "successful_calls": ok,
            "priced_pct": _pct(priced, ok),
            "provider_account_pct": _pct(accounted, calls),
            "unpriced_models": unpriced,
        }
        verdicts = {ratio_verdict(priced, ok, threshold), ratio_verdict(accounted, calls, threshold)}
        verdict = verdicts.pop() if len(verdicts) == 1 else Verdict.PARTIAL
        if verdict is Verdict.UNMET and (priced or accounted):
            verdict = Verdict.PARTIAL
        reason = f"{_pct(priced, ok)}% of successful calls priced, {_pct(accounted, calls)}% with a provider account"
        return CheckOutcome(verdict, reason, evidence)

    return _per_workload(ctx, req, answer)


@evidence_check("user_cost_attribution")
def check_user_cost_attribution(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls attributed to a user (OpenAI `user`, x-rungway-user, or the key's owner)."""
    threshold = _threshold(req, 0.95)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, attributed = _total(rows, "calls"), _total(rows, "with_user")
        evidence = {"calls": calls, "attributed_to_user": attributed, "attributed_pct": _pct(attributed, calls)}
        reason = f"{_pct(attributed, calls)}% of calls attributed to a user"
        return CheckOutcome(ratio_verdict(attributed, calls, threshold), reason, evidence)

    return _per_workload(ctx, req, answer)


def pinned_models(ctx: CheckContext) -> set[str]:
    """Upstream ids of routes marked `pinned: true`; dated snapshot ids are recognised by their name."""
    return {route.upstream_model for route in ctx.routes.values() if route.pinned}


@evidence_check("model_pinning")
def check_model_pinning(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls resolved to a pinned snapshot: a dated upstream id or a route marked pinned."""
    threshold = _threshold(req)
    marked = pinned_models(ctx)

    def is_pinned(model: str) -> bool:
        return model in marked or is_dated_snapshot(model)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        routed = [r for r in rows if r.model_resolved]
        calls = _total(routed, "calls")
        pinned = _total(routed, "calls", lambda r: is_pinned(r.model_resolved))
        floating: dict[str, int] = {}
        for r in routed:
            if not is_pinned(r.model_resolved):
                floating[r.model_resolved] = floating.get(r.model_resolved, 0) + r.calls
        evidence = {"routed_calls": calls, "pinned_calls": pinned, "unpinned_models": floating}
        if calls == 0:
            return CheckOutcome(Verdict.UNMET, "no call resolved to a model in the window", evidence)
        reason = f"{_pct(pinned, calls)}% of calls resolved to a pinned snapshot"
        return CheckOutcome(ratio_verdict(pinned, calls, threshold), reason, evidence)

    return _per_workload(ctx, req, answer)


@evidence_check("detailed_traces")
def check_detailed_traces(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Successful chat calls whose gateway span kept input and output (full or redacted capture)."""
    if not ctx.spans_counted(req.window_days):
        reason = "the traces capability is not installed (no `spans` table): traces cannot be evidenced"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    threshold = _threshold(req, 0.95)
    capture = {w.name: w.content_capture.value for w in ctx.workloads}

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        chats, traced = _total(rows, "ok_chat"), _total(rows, "traced")
        evidence = {"successful_chat_calls": chats, "traced_with_content": traced, "capture": capture[name]}
        evidence["traced_pct"] = _pct(traced, chats)
        if chats == 0:
            return CheckOutcome(Verdict.UNMET, "no successful chat calls in the window", evidence)
        reason = f"{_pct(traced, chats)}% of successful chat calls have a trace with captured input and output"
        if capture[name] == "metadata-only":
            reason += " (the workload's capture is metadata-only)"
        return CheckOutcome(ratio_verdict(traced, chats, threshold), reason, evidence)

    return _per_workload(ctx, req, answer)


def _active_budgets(ctx: CheckContext) -> list[dict[str, Any]]:
    b = _budgets.c
    with ctx.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(_budgets).where(b.deleted_at.is_(None)))]
    now = ctx.now
    return [
        r for r in rows if r["period"] != "fixed" or ((r["starts_at"] or 0.0) <= now < (r["ends_at"] or float("inf")))
    ]


@evidence_check("budgets")
def check_budgets(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A hard budget on the workload and hard per-user budgets within it (active now)."""
    if not ctx.has_table("budgets"):
        reason = "the budgets capability is not installed (no `budgets` table)"
        return {w.name: CheckOutcome(Verdict.NOT_ASSESSABLE, reason) for w in ctx.workloads}
    budgets = _active_budgets(ctx)
    out = {}
    for w in ctx.workloads:
        mine = [b for b in budgets if b["workload"] == w.name]
        workload_hard = sorted(b["id"] for b in mine if b["scope"] == "workload" and b["hard"])
        user_hard = sorted(b["id"] for b in mine if b["scope"] == "user" and b["hard"])
        soft_only = sorted(b["id"] for b in mine if not b["hard"])
        evidence = {
            "workload_hard_budgets": workload_hard,
            "user_hard_budgets": user_hard,
            "users_with_hard_budget": len({b["user_id"] for b in mine if b["scope"] == "user" and b["hard"]}),
            "soft_only_budgets": soft_only,
        }
        if workload_hard and user_hard:
            out[w.name] = CheckOutcome(Verdict.MET, "hard budgets on the workload and on its users", evidence)
        elif workload_hard or user_hard:
            missing = "per-user hard budgets" if workload_hard else "a hard workload budget"
            out[w.name] = CheckOutcome(Verdict.PARTIAL, f"missing {missing}", evidence)
        else:
            why = "only soft budgets (alerts, no block)" if soft_only else "no budget on the workload or its users"
            out[w.name] = CheckOutcome(Verdict.UNMET, why, evidence)
    return out
