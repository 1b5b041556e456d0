"""The door through which a capability checks what the upstream answered, JSON and streamed alike.

The core names no capability and no detector: at most one `OutputGuard` is supplied through
`Installed.output_guard`, and `gateway/upstream.py` asks it about each answer's text. With none installed
the call step pays one attribute read and a `None` test per answer (measured in docs/benchmarks.md).

- `check(ctx, text)` sees a JSON answer's text (each choice's message content) and returns a `GuardVerdict`;
  a guard that also has `acheck` (`AsyncOutputGuard`: it may ask a judge model) is awaited there instead.
- `open_stream(ctx)` returns a `StreamGuard` for one streamed choice (or None: this call is not checked).
  `feed(delta)` sees each text delta and answers what may be released now: a guard holds back at most its
  look-behind window, so a secret split across chunks is still seen whole before any of it is sent;
  `close()` releases the held tail at the end of the choice.

A verdict either blocks (`blocked`: the error to answer, or to end the stream with) or releases text:
`text` for the client (placeholders restored when the policy says so) and `recorded` for the records
(None: the same as `text`), so a value the input side redacted never reaches the log or a span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from rungway.errors import RungwayError
from rungway.gateway.context import CallContext

__all__ = ["AsyncOutputGuard", "GuardVerdict", "GuardedStream", "OutputGuard", "StreamGuard", "guard_completion"]


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """What to do with a piece of answer text: block it, or send `text` (and record `recorded`)."""

    text: str = ""
    recorded: str | None = None  # what the records keep; None: the same as `text`
    blocked: RungwayError | None = None

    @property
    def for_record(self) -> str:
        return self.text if self.recorded is None else self.recorded


class StreamGuard(Protocol):
    """Checks one streamed choice delta by delta, holding back at most its look-behind window."""

    def feed(self, delta: str) -> GuardVerdict: ...

    def close(self) -> GuardVerdict: ...


class OutputGuard(Protocol):
    """A capability's check of answers; called on the hot path, CPU only, bounded time on bounded text.
    It appends what it found to `ctx.guard_hits` (the core records them)."""

    def check(self, ctx: CallContext, text: str) -> GuardVerdict: ...

    def open_stream(self, ctx: CallContext) -> StreamGuard | None: ...


class AsyncOutputGuard(OutputGuard, Protocol):
    """A guard that may wait on a JSON answer (a judge model): `acheck` is awaited in place of `check`."""

    async def acheck(self, ctx: CallContext, text: str) -> GuardVerdict: ...


async def guard_completion(guard: OutputGuard, ctx: CallContext, data: dict[str, Any], body: bytes) -> bytes:
    """A JSON chat answer through the guard: the body for the client (`body` itself when nothing changed);
    `data` is left holding the recorded text. Raises the guard's error when it blocks."""
    client: list[tuple[dict[str, Any], str]] = []
    for choice in data.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str) or not content:
            continue
        acheck = getattr(guard, "acheck", None)
        verdict = await acheck(ctx, content) if acheck is not None else guard.check(ctx, content)
        if verdict.blocked is not None:
            raise verdict.blocked
        assert isinstance(message, dict)
        if verdict.text != content or verdict.for_record != content:
            message["content"] = verdict.text
            client.append((message, verdict.for_record))
    if not client:
        return body
    rewritten = orjson.dumps(data)
    for message, recorded in client:
        message["content"] = recorded
    return rewritten


class GuardedStream:
    """A stream's choices through the guard, one `StreamGuard` per choice index, opened on first content."""

    __slots__ = ("_ctx", "_guard", "_open", "disabled")

    def __init__(self, guard: OutputGuard, ctx: CallContext) -> None:
        self._guard = guard
        self._ctx = ctx
        self._open: dict[int, StreamGuard] = {}
        self.disabled = False  # the guard has nothing to check on this call: relay as without one

    def _for(self, index: int) -> StreamGuard | None:
        found = self._open.get(index)
        if found is None and not self.disabled:
            found = self._guard.open_stream(self._ctx)
            if found is None:
                self.disabled = True
                return None
            self._open[index] = found
        return found

    def chunk(self, choices: list[dict[str, Any]], data: dict[str, Any]) -> bytes | None:
        """Rewrite the chunk's deltas: returns the client's event data (None: the chunk as it came) and leaves
        `data` holding the recorded text. Raises the guard's error when it blocks."""
        recorded: list[tuple[dict[str, Any], str]] = []
        for choice in choices:
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            finished = choice.get("finish_reason") is not None
            if not (isinstance(content, str) and content) and not finished:
                continue
            guard = self._for(choice.get("index", 0))
            if guard is None:
                return None
            verdict = guard.feed(content) if isinstance(content, str) and content else GuardVerdict("")
            if verdict.blocked is not None:
                raise verdict.blocked
            text, kept = verdict.text, verdict.for_record
            if finished:
                tail = guard.close()
                self._open.pop(choice.get("index", 0), None)
                if tail.blocked is not None:
                    raise tail.blocked
                text, kept = text + tail.text, kept + tail.for_record
            if not isinstance(delta, dict):
                delta = choice["delta"] = {}
            delta["content"] = text
            recorded.append((delta, kept))
        if not recorded:
            return None
        out = orjson.dumps(data)
        for delta, kept in recorded:
            delta["content"] = kept
        return out

    def tails(self, data: dict[str, Any]) -> tuple[bytes, dict[str, Any]] | None:
        """At the end of a stream cut before its finish reasons: the held text as one last chunk
        (the client's event data, and the chunk with the recorded text)."""
        if not self._open:
            return None
        choices = []
        client = []
        for index, guard in sorted(self._open.items()):
            verdict = guard.close()
            if verdict.blocked is not None:
                raise verdict.blocked
            choices.append({"index": index, "delta": {"content": verdict.for_record}, "finish_reason": None})
            client.append({"index": index, "delta": {"content": verdict.text}, "finish_reason": None})
        self._open.clear()
        head = {k: data.get(k) for k in ("id", "object", "created", "model")}
        return orjson.dumps({**head, "choices": client}), {**head, "choices": choices}
