"""The evidence checks of the core's own records: the request log, keys, workloads and management reads.

The assessment is the capability that reads the core's request log, so these checks live here;
budget and cost checks live in `rungway.budgets.checks`, trace checks in `rungway.traces.checks`.
Each check answers for every workload from shared, pre-aggregated request facts (see
`rungway.assessment.facts`) plus at most one small query of its own. Thresholds are fractions of
calls; a workload with no calls in the window has no evidence, so its request checks are unmet.
No check is met merely because calls went through the gateway: each tests the practice itself
(an end user named by the call, a log someone read). `model_pinning` lives with the models capability
(`rungway.models.pins.checks`), which records pins and their changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from rungway.evidence import (
    CheckContext,
    CheckOutcome,
    CheckRequest,
    RequestFacts,
    Verdict,
    evidence_check,
    pct,
    per_workload,
    ratio_verdict,
    threshold_of,
    total,
)
from rungway.store.reads import reads_by_workload
from rungway.store.schema import api_keys

LOG_READS = ("logs", "usage", "traces")


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What the key checks need of one API key."""

    workload: str
    role: str
    allowed_models: tuple[str, ...]
    limited: bool  # an rpm or tpm limit of its own


def keys_used(ctx: CheckContext, window_days: int) -> dict[str, KeyFacts]:
    """The keys that made calls in the window, with what the key checks read of them (one query)."""
    facts = ctx.facts(window_days)
    used = sorted({r.key_id for rows in facts.values() for r in rows if r.key_id})
    out: dict[str, KeyFacts] = {}
    if not used:
        return out
    k = api_keys.c
    with ctx.engine.connect() as conn:
        q = select(k.id, k.workload, k.role, k.allowed_models, k.rpm_limit, k.tpm_limit).where(k.id.in_(used))
        for row in conn.execute(q):
            try:
                models = tuple(str(m) for m in json.loads(row.allowed_models or "[]"))
            except ValueError:
                models = ()
            limited = row.rpm_limit is not None or row.tpm_limit is not None
            out[row.id] = KeyFacts(row.workload, row.role, models, limited)
    return out


@evidence_check("authentication")
def check_authentication(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Every call made with a key of the workload; no key used by two workloads; no admin key as app key."""
    facts = ctx.facts(req.window_days)
    owners = keys_used(ctx, req.window_days)
    users_of_key: dict[str, set[str]] = {}
    for name, rows in facts.items():
        for r in rows:
            if r.key_id:
                users_of_key.setdefault(r.key_id, set()).add(name)
    threshold = threshold_of(req)

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls = total(rows, "calls")
        keys = sorted({r.key_id for r in rows if r.key_id})
        keyless = total(rows, "calls", lambda r: not r.key_id)

        def foreign_or_shared(k: str) -> bool:
            owner = owners.get(k)
            return (owner is not None and owner.workload != name) or len(users_of_key[k]) > 1

        shared = sorted(k for k in keys if foreign_or_shared(k))
        foreign = total(rows, "calls", lambda r: r.key_id in shared)
        admin = sorted(k for k in keys if k in owners and owners[k].role == "admin")
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
        reason = f"{pct(proper, calls)}% of calls used a key owned by this workload alone"
        return CheckOutcome(verdict, reason, evidence)

    return per_workload(ctx, req, answer)


@evidence_check("authorisation")
def check_authorisation(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls made with keys that carry least privilege: a role below admin and a model allow-list."""
    owners = keys_used(ctx, req.window_days)
    threshold = threshold_of(req)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls = total(rows, "calls")
        keyed = [r for r in rows if r.key_id in owners]
        roles: dict[str, int] = {}
        for r in keyed:
            roles[owners[r.key_id].role] = roles.get(owners[r.key_id].role, 0) + r.calls
        restricted = total(keyed, "calls", lambda r: bool(owners[r.key_id].allowed_models))
        least = total(
            keyed, "calls", lambda r: bool(owners[r.key_id].allowed_models) and owners[r.key_id].role != "admin"
        )
        evidence = {
            "calls": calls,
            "calls_by_key_role": roles,
            "calls_with_model_allow_list_pct": pct(restricted, calls),
            "keys_without_allow_list": sorted({r.key_id for r in keyed if not owners[r.key_id].allowed_models})[:20],
        }
        reason = f"{pct(least, calls)}% of calls used a non-admin key restricted to a model allow-list"
        return CheckOutcome(ratio_verdict(least, calls, threshold), reason, evidence)

    return per_workload(ctx, req, answer)


@evidence_check("rate_limiting")
def check_rate_limiting(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls bound by a rate limit: the calling key or the workload carries one (or 429s show it enforced)."""
    owners = keys_used(ctx, req.window_days)
    everyone = ctx.default_key_limits  # rungway.yaml's `limits.key_rpm`/`key_tpm` bind every key without its own
    workload_limited = {w.name: w.rpm_limit is not None or w.tpm_limit is not None for w in ctx.workloads}
    threshold = threshold_of(req)

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, refused = total(rows, "calls"), total(rows, "rate_limited")
        all_bound = everyone or workload_limited.get(name, False)
        unlimited = sorted(
            {r.key_id for r in rows if r.key_id and not (r.key_id in owners and owners[r.key_id].limited)}
        )
        bound = calls if all_bound else total(rows, "calls", lambda r: r.key_id in owners and owners[r.key_id].limited)
        evidence = {
            "calls": calls,
            "default_key_limit": everyone,
            "workload_limit": workload_limited.get(name, False),
            "calls_on_limited_keys_pct": pct(bound, calls),
            "keys_without_limit": [] if all_bound else unlimited[:20],
            "refused_with_429": refused,
        }
        verdict = ratio_verdict(bound, calls, threshold)
        reason = f"{pct(bound, calls)}% of calls bound by a key or workload rate limit; {refused} answered 429"
        if verdict is Verdict.UNMET and refused:
            verdict, reason = (
                Verdict.PARTIAL,
                f"no limit on the calling keys, but {refused} calls were refused with 429",
            )
        return CheckOutcome(verdict, reason, evidence)

    return per_workload(ctx, req, answer)


@evidence_check("error_handling")
def check_error_handling(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """A low error rate, upstream failures answered as clean errors, none answered as an unhandled 500."""
    threshold = threshold_of(req, 0.95)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, ok = total(rows, "calls"), total(rows, "ok_calls")
        upstream, unhandled = total(rows, "upstream_errors"), total(rows, "server_errors")
        evidence = {
            "calls": calls,
            "error_rate_pct": pct(calls - ok, calls),
            "upstream_failures": upstream,
            "unhandled_500s": unhandled,
            "rate_limited": total(rows, "rate_limited"),
        }
        verdict = ratio_verdict(ok, calls, threshold)
        reason = (
            f"{pct(ok, calls)}% of calls succeeded; {upstream} provider failures answered as clean 502/503/504, "
            f"{unhandled} as unhandled 500s"
        )
        if verdict is Verdict.MET and unhandled:
            verdict = Verdict.PARTIAL
        return CheckOutcome(verdict, reason, evidence)

    return per_workload(ctx, req, answer)


@evidence_check("basic_logging")
def check_basic_logging(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """The request log holds the workload's calls with status and latency, and someone read it in the window."""
    threshold = threshold_of(req)
    reads = reads_by_workload(ctx.engine, ctx.since(req.window_days), LOG_READS)
    everywhere = sum(reads.get(None, {}).values())

    def answer(name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, logged, errors = total(rows, "calls"), total(rows, "with_latency"), total(rows, "errors")
        looked = sum(reads.get(name, {}).values()) + everywhere
        evidence = {
            "calls": calls,
            "with_latency": logged,
            "errors": errors,
            "error_rate_pct": pct(errors, calls),
            "log_reads": reads.get(name, {}),
            "reads_across_workloads": everywhere,
        }
        verdict = ratio_verdict(logged, calls, threshold)
        reason = f"{calls} calls logged with status and latency; error rate {pct(errors, calls)}%"
        if verdict is Verdict.MET and not looked:
            verdict = Verdict.PARTIAL
            reason += "; but nobody read the logs, usage or traces in the window (stored is not watched)"
        elif looked:
            reason += f"; read {looked} times in the window"
        return CheckOutcome(verdict, reason, evidence)

    return per_workload(ctx, req, answer)


@evidence_check("user_cost_attribution")
def check_user_cost_attribution(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Calls naming their end user (OpenAI `user` or x-rungway-user); a key's owner is not an end user."""
    threshold = threshold_of(req, 0.95)

    def answer(_name: str, rows: list[RequestFacts]) -> CheckOutcome:
        calls, end_user, any_user = total(rows, "calls"), total(rows, "with_end_user"), total(rows, "with_user")
        owner_only = max(any_user - end_user, 0)
        evidence = {
            "calls": calls,
            "end_user_pct": pct(end_user, calls),
            "key_owner_only_pct": pct(owner_only, calls),
            "unattributed_pct": pct(calls - any_user, calls),
        }
        reason = f"{pct(end_user, calls)}% of calls name their end user"
        if owner_only:
            reason += f"; {pct(owner_only, calls)}% carry only the key's owner, which is not an end user"
        return CheckOutcome(ratio_verdict(end_user, calls, threshold), reason, evidence)

    return per_workload(ctx, req, answer)
