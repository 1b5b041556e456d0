"""The answer guard: the workload's output policy on JSON answers and on streams, delta by delta.

Supplied to the core through `Installed.output_guard` (`gateway/output_guard.py`). A stream is checked with
a bounded look-behind: deltas are held until `lookbehind_chars` of text wait, then the held text is scanned
and all but its last half window is released (never cutting through a finding or, when values are restored,
a placeholder). So at most the window is held back, the text is scanned about twice (one scan per half
window, not one per delta), and any value up to half the window long (128 characters by default) split
across chunks is seen whole before any of it is sent. A block ends the stream.
"""

from __future__ import annotations

from rungway.domain.guard_hits import GuardHit
from rungway.gateway.context import CallContext
from rungway.gateway.output_guard import GuardVerdict, StreamGuard
from rungway.guardrails.config import GuardrailsConfig, GuardRule
from rungway.guardrails.filtering import TextFilter, restore_placeholders
from rungway.guardrails.judging import scan_context_for
from rungway.guardrails.public import Finding, ScanContext
from rungway.guardrails.steps import RESTORE, OutputBlocked, blocked_message

__all__ = ["AnswerGuard", "StreamFilter"]

_MAX_PLACEHOLDER = 40  # the longest `[KIND_N]` a cut may have to step back over
_HOLD = GuardVerdict("")  # nothing to send yet (immutable: one for every held delta)


class AnswerGuard:
    """The `OutputGuard` of the guardrails capability: one per server, reading the parsed policy."""

    __slots__ = ("_config", "_judge")

    def __init__(self, config: GuardrailsConfig, judge: ScanContext | None = None) -> None:
        self._config = config
        self._judge = judge or ScanContext()

    def _filter(self, ctx: CallContext) -> tuple[TextFilter | None, dict[str, str]]:
        restore = ctx.slots.get(RESTORE) or {}
        policy = self._config.policy_for(ctx.key.workload if ctx.key is not None else None).output
        return (TextFilter(policy, "output") if policy.rules else None), restore

    def check(self, ctx: CallContext, text: str) -> GuardVerdict:
        scan, restore = self._filter(ctx)
        if scan is None or len(text) > self._config.max_scan_chars:
            if scan is not None:
                ctx.guard_hits.append(GuardHit("guardrails", "guardrails.unscanned", "output", "flag"))
            return GuardVerdict(restore_placeholders(text, restore), recorded=text)
        return self._verdict(ctx, scan, restore, text, None)

    async def acheck(self, ctx: CallContext, text: str) -> GuardVerdict:
        """`check` with the async detectors (judges) awaited too; what the core calls for JSON answers."""
        scan, _ = self._filter(ctx)
        if scan is None or not scan.judges or len(text) > self._config.max_scan_chars:
            return self.check(ctx, text)
        judged = await scan.ajudged(text, scan_context_for(self._judge, ctx))
        found = scan.findings(text) + judged
        return self._verdict(ctx, scan, self._filter(ctx)[1], text, found)

    def _verdict(
        self,
        ctx: CallContext,
        scan: TextFilter,
        restore: dict[str, str],
        text: str,
        found: list[tuple[GuardRule, Finding]] | None,
    ) -> GuardVerdict:
        pairs = scan.findings(text) if found is None else found
        if not pairs:  # the usual answer: nothing to record, block or redact
            return GuardVerdict(restore_placeholders(text, restore), recorded=text)
        result = scan.apply(text, pairs)
        ctx.guard_hits.extend(result.hits)
        if result.blocked is not None:
            return GuardVerdict(blocked=OutputBlocked(blocked_message(result.blocked)))
        return GuardVerdict(restore_placeholders(result.text, restore), recorded=result.text)

    def open_stream(self, ctx: CallContext) -> StreamGuard | None:
        scan, restore = self._filter(ctx)
        if scan is None and not restore:
            return None
        return StreamFilter(ctx, scan, restore, self._config.lookbehind_chars)


class StreamFilter:
    """One streamed choice: the held-back text, scanned again with each new delta."""

    __slots__ = ("_ctx", "_held", "_restore", "_scan", "_window")

    def __init__(self, ctx: CallContext, scan: TextFilter | None, restore: dict[str, str], window: int) -> None:
        self._ctx = ctx
        self._scan = scan
        self._restore = restore
        self._window = window
        self._held = ""

    def feed(self, delta: str) -> GuardVerdict:
        return self._release(self._held + delta, final=False)

    def close(self) -> GuardVerdict:
        return self._release(self._held, final=True)

    def _release(self, text: str, final: bool) -> GuardVerdict:
        if not final and len(text) <= self._window:  # hold until the window is full: one scan per half window
            self._held = text
            return _HOLD
        found = self._scan.findings(text) if self._scan is not None else []
        for rule, f in found:
            if rule.action == "block":
                self._held = ""
                hit = GuardHit(rule.name, f.rule, "output", "block")
                self._ctx.guard_hits.append(hit)
                return GuardVerdict(blocked=OutputBlocked(blocked_message(hit)))
        cut = len(text) if final else len(text) - self._window // 2
        for _, f in found:  # never release part of a finding: it may grow with the next delta
            if f.start < cut < f.end:
                cut = f.start
        if self._restore and not final:
            opening = text.rfind("[", max(0, cut - _MAX_PLACEHOLDER), cut)
            if opening != -1 and "]" not in text[opening:cut]:
                cut = opening
        if not final and len(text) - cut > 4 * self._window:  # a finding longer than the window: bound memory
            cut = len(text) - self._window
        released, self._held = text[:cut], text[cut:]
        if not released:
            return _HOLD
        done = [(rule, f) for rule, f in found if f.end <= cut]
        if self._scan is not None and done:
            result = self._scan.apply(released, done)
            self._ctx.guard_hits.extend(result.hits)
            released = result.text
        return GuardVerdict(restore_placeholders(released, self._restore), recorded=released)
