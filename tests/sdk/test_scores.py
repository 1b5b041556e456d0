"""`rungway.sdk.score` against a real server: feedback lands on the trace, and nothing ever raises into the app."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest

import rungway.sdk as rw
from rungway.evals.scores.store import ScoreQuery, read_scores
from tests.evals.support import server
from tests.servers import Gateway


def test_scores_sent_by_the_sdk_are_stored_on_the_trace_once(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    rw.configure(gw.base_url, gw.create_key("test", owner="support-app").secret)
    try:
        with rw.span("answer", kind="agent") as root:
            inside = rw.score(None, "auto-check", 0.75)  # the current span's trace
        thumbs = rw.score(root.trace_id, "thumbs", True, comment="solved it", span_id=root.span_id)
        category = rw.score(root.trace_id.upper(), "tone", "friendly")
        again = rw.score(root.trace_id, "thumbs", True, score_id=thumbs)  # a retry with the same id
        assert None not in (inside, thumbs, category) and again == thumbs
        assert rw.flush()
    finally:
        rw.shutdown()
    gw.flush()
    found = read_scores(gw.state.engine, ScoreQuery("test", trace_id=root.trace_id))
    by_name = {s.name: s for s in found}
    assert len(found) == 3 and set(by_name) == {"auto-check", "thumbs", "tone"}
    thumbs_score = by_name["thumbs"]
    assert (thumbs_score.value, thumbs_score.data_type, thumbs_score.comment) == (1.0, "boolean", "solved it")
    assert by_name["thumbs"].span_id == root.span_id and by_name["thumbs"].source == "feedback"
    assert by_name["tone"].string_value == "friendly" and by_name["auto-check"].value == 0.75
    assert {s.author for s in found} == {"support-app"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_sdk_never_raises_when_the_server_is_down_or_the_score_is_wrong(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="rungway.sdk.scores")
    rw.shutdown()
    assert rw.score("0af7651916cd43dd8448eb211c80319c", "thumbs", True) is None  # not configured: dropped
    assert "not configured" in caplog.text
    rw.configure(f"http://127.0.0.1:{_closed_port()}", "rw-nobody")
    try:
        sent = rw.score("0af7651916cd43dd8448eb211c80319c", "thumbs", True)
        assert sent is not None
        assert rw.score("not-a-trace", "thumbs", True) is None
        assert rw.score("0af7651916cd43dd8448eb211c80319c", "", 1) is None
        assert rw.score("0af7651916cd43dd8448eb211c80319c", "thumbs", float("nan")) is None
        assert rw.score("0af7651916cd43dd8448eb211c80319c", "thumbs", object()) is None  # type: ignore[arg-type]
        assert rw.score(None, "thumbs", 1) is None  # no current span
        assert rw.flush(10) is False  # given up on after retries, not raised
    finally:
        rw.shutdown()
    assert "could not send scores" in caplog.text
