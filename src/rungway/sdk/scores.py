"""Scores from the application: an end user's thumbs up, a rating, a category, sent in the background.

    import rungway.sdk as rw

    rw.configure("http://127.0.0.1:4000", api_key="rw-...")
    with rw.span("answer") as s:
        ...
    rw.score(s.trace_id, "thumbs", True, comment="solved my problem")

`score()` never blocks and never raises into the application: it checks the score, gives it an id (so a
retried batch is stored once) and puts it in a bounded queue (full: the score is dropped and counted in
`dropped`); a daemon thread posts batches of up to 1,000 to `{base_url}/api/scores` with the configured
key, retrying 429/5xx and connection errors a few times. A score that cannot be sent is counted in
`failed` and logged; `flush()` waits for delivery, and the queue is flushed at exit.
"""

from __future__ import annotations

import atexit
import logging
import math
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from typing import Any

import orjson

from rungway.sdk.tracing import configured_gateway, current_span

__all__ = ["ScoreSender", "flush_scores", "score"]

log = logging.getLogger("rungway.sdk.scores")

_BATCH = 1_000  # the server's largest batch
_RETRY = {429, 500, 502, 503, 504}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,127}")
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")
_SOURCES = ("eval", "annotation", "feedback", "online")
_MAX_COMMENT = 4_000


class ScoreSender:
    """Queue scores and post them to `{base_url}/api/scores` in batches, off the application's threads."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float, max_queue: int = 10_000) -> None:
        self.url = f"{base_url}/api/scores"
        self._headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}
        self._timeout = timeout_s
        self._queue: deque[dict[str, Any]] = deque()
        self._max_queue = max_queue
        self._lock = threading.Condition()
        self._stop = False
        self.added = self.sent = self.failed = self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="rungway-sdk-scores", daemon=True)
        self._thread.start()
        atexit.register(self.shutdown)

    def add(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.added += 1
            if len(self._queue) >= self._max_queue or self._stop:
                self.dropped += 1
                return
            self._queue.append(item)
            self._lock.notify_all()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued score was sent or given up on; True when all were delivered."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            target = self.added
            while self.sent + self.failed + self.dropped < target and time.monotonic() < deadline:
                self._lock.notify_all()
                self._lock.wait(0.05)
            return self.sent >= target

    def shutdown(self) -> None:
        if self._stop:
            return
        self.flush(5.0)
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        self._thread.join(5.0)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    if self._stop:
                        return
                    self._lock.wait(0.5)
                batch = [self._queue.popleft() for _ in range(min(_BATCH, len(self._queue)))]
            if batch:
                ok = self._send(orjson.dumps({"scores": batch}))
                with self._lock:
                    if ok:
                        self.sent += len(batch)
                    else:
                        self.failed += len(batch)
                    self._lock.notify_all()

    def _send(self, body: bytes) -> bool:
        delay = 0.1
        for _ in range(4):
            request = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                    answer.read()
                return True
            except urllib.error.HTTPError as exc:
                if exc.code not in _RETRY:
                    log.warning("rungway: %s refused %d score(s): HTTP %d %s", self.url, body.count(b'"name"'),
                                exc.code, exc.read()[:300].decode(errors="replace"))  # fmt: skip
                    return False
            except OSError:
                pass
            time.sleep(delay)
            delay *= 2
        log.warning("rungway: could not send scores to %s; they are dropped", self.url)
        return False


_sender: ScoreSender | None = None
_sender_for: object = None
_sender_lock = threading.Lock()


def _current_sender() -> ScoreSender | None:
    """The sender for the gateway `configure()` named last (a new one after each configure), or None."""
    global _sender, _sender_for
    exporter = configured_gateway()
    if exporter is None:
        return None
    with _sender_lock:
        if _sender is None or _sender_for is not exporter:
            if _sender is not None:
                _sender.shutdown()
            _sender = ScoreSender(exporter.url.rsplit("/v1/traces", 1)[0], exporter.api_key, exporter.timeout_s)
            _sender_for = exporter
        return _sender


def _problem(trace_id: str, span_id: str | None, name: object, value: object, source: str) -> str | None:
    if _TRACE_ID.fullmatch(trace_id) is None:
        return f"trace_id {trace_id[:40]!r} is not 32 hex digits"
    if span_id is not None and _SPAN_ID.fullmatch(span_id) is None:
        return f"span_id {span_id[:20]!r} is not 16 hex digits"
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        return f"name {str(name)[:40]!r} is not a score name (letters, digits, space . _ : / -; at most 128)"
    if isinstance(value, float) and not math.isfinite(value):
        return "value is not a finite number"
    if not isinstance(value, bool | int | float | str) or (isinstance(value, str) and not 0 < len(value) <= 256):
        return "value is a number, true/false, or a category of at most 256 characters"
    if source not in _SOURCES:
        return f"source {source!r} is not one of {', '.join(_SOURCES)}"
    return None


def score(
    trace_id: str | None,
    name: str,
    value: float | bool | str,
    comment: str | None = None,
    *,
    span_id: str | None = None,
    data_type: str | None = None,
    source: str = "feedback",
    score_id: str | None = None,
) -> str | None:
    """Score a trace (None: the current span's) in the background; the score's id, or None when dropped.

    `value` is a number, True/False, or a category ("helpful"); `data_type` (numeric, boolean, categorical)
    defaults from it. Never raises: a wrong argument or an unconfigured SDK is logged and the score dropped.
    """
    try:
        if trace_id is None:
            current = current_span()
            trace_id = current.trace_id if current is not None else ""
        problem = _problem(str(trace_id).lower(), span_id.lower() if span_id else None, name, value, source)
        sender = _current_sender() if problem is None else None
        if problem is None and sender is None:
            problem = "rungway.sdk is not configured: call rungway.sdk.configure(base_url, api_key) first"
        if problem is not None or sender is None:
            log.warning("rungway: score %r dropped: %s", name, problem)
            return None
        item: dict[str, Any] = {"id": score_id or "sdk-" + secrets.token_hex(12), "trace_id": str(trace_id).lower(),
                                "name": name, "value": value, "source": source}  # fmt: skip
        if span_id:
            item["span_id"] = span_id.lower()
        if data_type:
            item["data_type"] = data_type
        if comment:
            item["comment"] = str(comment)[:_MAX_COMMENT]
        sender.add(item)
        return str(item["id"])
    except Exception:
        log.exception("rungway: score %r dropped", name)
        return None


def flush_scores(timeout_s: float = 10.0) -> bool:
    """Send every queued score now; True when all were delivered (or none was queued)."""
    with _sender_lock:
        sender = _sender
    return sender.flush(timeout_s) if sender is not None else True
