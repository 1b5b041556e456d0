"""`coverage()`, what the assessment's continuous_evaluation check reads: per workload, the active scorers and their
rates, the workload's chat calls in the window, the share some scorer's filter matched, and the number scored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rungway.online_evals.public import ActiveScorer, coverage
from tests.online_evals.support import online_gateway, settle
from tests.servers import Gateway


def test_coverage_counts_calls_matched_and_scored(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gateway = online_gateway(gateway_factory, store_url, sample=1.0)
    client = gateway.sdk(gateway.create_key("test").secret)
    for model in ["gpt-4o"] * 4 + ["gpt-4o-mini"] * 6:  # the scorer's filter names gpt-4o
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    client.embeddings.create(model="text-embedding-3-small", input="not a chat call")
    settle(gateway)
    since = datetime.now(UTC) - timedelta(hours=1)
    found = coverage(gateway.state.engine, ["test", "other", "nobody"], since)
    test = found["test"]
    assert test.scorers == (ActiveScorer("short", "length", 1.0),)
    assert (test.chat_calls, test.matched_calls, test.scored) == (10, 4, 4)
    assert test.matched_share == 0.4
    assert (found["other"].scorers, found["other"].chat_calls, found["other"].matched_share) == ((), 0, 0.0)
    assert set(found) == {"test", "other", "nobody"}
    later = coverage(gateway.state.engine, ["test"], datetime.now(UTC) + timedelta(hours=2))["test"]
    assert (later.chat_calls, later.matched_calls, later.scored) == (0, 0, 0)  # outside the window
