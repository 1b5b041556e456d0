"""The prompt library's evidence for the maturity assessment: prompts kept in the library, and reviewed.

`prompt_library` is the share of a workload's successful chat calls that rendered a registry prompt
version (the gateway records `prompt_name`/`prompt_version` on each call it rendered), read from the
assessment's hourly roll-ups (request facts, and prompt facts per version): no scan of the request
log. `manual_prompt_review` reads the library's own records: every move of a protected label of
the workload's prompts in the window should carry an approval by someone other than the version's
author, and every version the workload's calls used should have reached a protected label that way.
A workload that neither uses the library nor moved a protected label leaves the check not assessable,
so a team that reviews prompts elsewhere may attest the item (the model says `attested: true`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson
from sqlalchemy import select

from rungway.evidence import (
    CheckContext,
    CheckOutcome,
    CheckRequest,
    PromptFacts,
    Verdict,
    evidence_check,
    pct,
    ratio_verdict,
    threshold_of,
    total,
)
from rungway.prompts.model import iso
from rungway.prompts.store import prompt_label_moves

__all__ = ["ProtectedMove", "check_manual_prompt_review", "check_prompt_library"]

SHOWN = 20  # versions and moves listed in an item's evidence
SHARED = ""  # the scope of a shared prompt in the store


def versions_used(
    rows: Iterable[PromptFacts], measure: Literal["ok_chat", "calls"] = "ok_chat"
) -> Counter[tuple[str, int]]:
    """(prompt name, version) -> calls (all, or the successful chat completions) that rendered it."""
    used: Counter[tuple[str, int]] = Counter()
    for r in rows:
        count = r.ok_chat if measure == "ok_chat" else r.calls
        if count:
            used[(r.prompt_name, r.prompt_version)] += count
    return used


def _shown(used: Counter[tuple[str, int]]) -> dict[str, int]:
    return {f"{name}@{version}": calls for (name, version), calls in used.most_common(SHOWN)}


@evidence_check("prompt_library")
def check_prompt_library(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """The share of successful chat calls that rendered a library prompt version, with the versions used."""
    threshold = threshold_of(req, 0.8)
    facts, prompts = ctx.facts(req.window_days), ctx.prompt_facts(req.window_days)
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        chats = total(facts.get(w.name, []), "ok_chat")
        if not chats:
            reason = "no successful chat calls in the window: no share of calls using library prompts to measure"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, {"successful_chat_calls": 0})
            continue
        used = versions_used(prompts.get(w.name, []))
        with_prompt = sum(used.values())
        evidence: dict[str, object] = {
            "successful_chat_calls": chats,
            "with_library_prompt": with_prompt,
            "with_library_prompt_pct": pct(with_prompt, chats),
            "prompts": len({name for name, _ in used}),
            "versions": _shown(used),
            "versions_used": len(used),
        }
        verdict = ratio_verdict(with_prompt, chats, threshold)
        if with_prompt:
            reason = f"{pct(with_prompt, chats)}% of {chats} successful chat calls rendered a library prompt version"
        else:
            reason = f'none of {chats} successful chat calls rendered a library prompt (no `"prompt"` reference)'
        out[w.name] = CheckOutcome(verdict, reason, evidence)
    return out


@dataclass(frozen=True, slots=True)
class ProtectedMove:
    """A move of a protected label, as the review evidence needs it."""

    scope: str
    name: str
    label: str
    from_version: int | None
    to_version: int
    actor: str
    moved_at: float
    approvers: tuple[str, ...]

    @property
    def reviewed(self) -> bool:
        return bool(self.approvers)  # the service records approvers other than the author only

    def summary(self) -> dict[str, object]:
        return {
            "prompt": self.name if self.scope else f"{self.name} (shared)",
            "label": self.label,
            "from": self.from_version,
            "to": self.to_version,
            "by": self.actor,
            "at": iso(self.moved_at),
            "approvers": list(self.approvers),
            "reviewed": self.reviewed,
        }


def protected_moves(
    ctx: CheckContext, scopes: Sequence[str], *, since: float | None = None, names: Sequence[str] | None = None
) -> list[ProtectedMove]:
    """Protected-label moves of these scopes' prompts (in [since, now) when `since` is set; of `names` if set)."""
    m = prompt_label_moves.c
    q = select(m.scope, m.name, m.label, m.from_version, m.to_version, m.actor, m.moved_at, m.approvers).where(
        m.protected == True,  # noqa: E712 (SQL comparison)
        m.scope.in_(scopes),
        m.moved_at < ctx.now,
    )
    if since is not None:
        q = q.where(m.moved_at >= since)
    if names is not None:
        q = q.where(m.name.in_(names))
    with ctx.engine.connect() as conn:
        rows = conn.execute(q.order_by(m.moved_at.desc())).all()
    return [
        ProtectedMove(r[0], r[1], r[2], r[3], int(r[4]), r[5], float(r[6]), tuple(orjson.loads(r[7] or "[]")))
        for r in rows
    ]


def _worse(a: Verdict, b: Verdict) -> Verdict:
    order = (Verdict.UNMET, Verdict.PARTIAL, Verdict.MET)
    return min(a, b, key=order.index)


@evidence_check("manual_prompt_review")
def check_manual_prompt_review(ctx: CheckContext, req: CheckRequest) -> Mapping[str, CheckOutcome]:
    """Protected-label moves in the window approved by another person, and the versions served reviewed."""
    threshold = threshold_of(req, 1.0)
    prompts = ctx.prompt_facts(req.window_days)
    scopes = [w.name for w in ctx.workloads]
    recent = protected_moves(ctx, [*scopes, SHARED], since=ctx.since(req.window_days))
    used = {w.name: versions_used(prompts.get(w.name, []), "calls") for w in ctx.workloads}
    names = sorted({name for counts in used.values() for name, _ in counts})
    ever = protected_moves(ctx, [*scopes, SHARED], names=names) if names else []
    out: dict[str, CheckOutcome] = {}
    for w in ctx.workloads:
        mine_used = used[w.name]
        moves = _of_workload(recent, w.name, mine_used)
        if not moves and not mine_used:
            reason = "no protected label of its prompts moved in the window and its calls use no library prompt"
            out[w.name] = CheckOutcome(Verdict.NOT_ASSESSABLE, reason, {"protected_moves": 0})
            continue
        out[w.name] = _review_outcome(moves, mine_used, _of_workload(ever, w.name, mine_used), threshold)
    return out


def _of_workload(moves: list[ProtectedMove], workload: str, used: Counter[tuple[str, int]]) -> list[ProtectedMove]:
    """The moves of the workload's own prompts, and of the shared prompts its calls used."""
    shared_used = {name for name, _ in used}
    return [m for m in moves if m.scope == workload or (m.scope == SHARED and m.name in shared_used)]


def _review_outcome(
    moves: list[ProtectedMove], used: Counter[tuple[str, int]], ever: list[ProtectedMove], threshold: float
) -> CheckOutcome:
    """Judge the window's protected moves and the versions the calls used; the worse of the two decides."""
    evidence: dict[str, object] = {"protected_moves": len(moves)}
    verdict, reasons = Verdict.MET, []
    if moves:
        reviewed = sum(m.reviewed for m in moves)
        evidence |= {"reviewed_moves": reviewed, "moves": [m.summary() for m in moves[:SHOWN]]}
        verdict = ratio_verdict(reviewed, len(moves), threshold)
        what = "protected-label moves in the window were approved by someone other than the author"
        reasons.append(f"{reviewed} of {len(moves)} {what}")
    if used:
        approved = {(m.name, m.to_version) for m in ever if m.reviewed}
        calls = sum(used.values())
        served = sum(n for version, n in used.items() if version in approved)
        unreviewed = Counter({v: n for v, n in used.items() if v not in approved})
        evidence |= {"calls_with_library_prompt": calls, "calls_on_reviewed_versions": served}
        evidence["unreviewed_versions"] = _shown(unreviewed)
        verdict = _worse(verdict, ratio_verdict(served, calls, threshold))
        reasons.append(
            f"{pct(served, calls)}% of {calls} calls with a library prompt used a version that reached a protected"
            " label with another person's approval"
        )
    return CheckOutcome(verdict, "; ".join(reasons), evidence)
