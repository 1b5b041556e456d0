"""The scores store's writer sink and the means per source, on SQLite and PostgreSQL: `append_scores` stores a
batch once (a replayed batch is skipped), `score_means` groups the window's trace scores by name and source."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.evals.scores.model import Score, ScoreSource
from rungway.evals.scores.store import ScoreQuery, append_scores, read_scores, score_means
from tests.servers import Gateway

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _score(id_: str, name: str, value: float, source: ScoreSource, created_at: float, workload: str = "test") -> Score:
    return Score(id_, workload, name, "numeric", value, None, source, "me", created_at, trace_id=TRACE,
                 scorer="length" if source == "online" else None)  # fmt: skip


def test_appended_scores_are_stored_once_and_averaged_per_source(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    engine = gateway_factory(store_url=store_url).state.engine
    now = time.time()
    batch = [_score("a", "short", 1.0, "online", now), _score("b", "short", 0.0, "online", now),
             _score("c", "thumbs", 1.0, "feedback", now), _score("d", "thumbs", 0.0, "feedback", now - 7200),
             _score("a", "short", 0.5, "online", now, workload="other")]  # fmt: skip
    append_scores(engine, batch)
    append_scores(engine, batch[:2])  # replayed from a spill file: skipped
    assert len(read_scores(engine, ScoreQuery("test"))) == 4
    means = {
        (m.workload, m.name, m.source): (m.count, m.mean) for m in score_means(engine, ["test", "other"], now - 60)
    }
    assert means == {("other", "short", "online"): (1, 0.5), ("test", "short", "online"): (2, 0.5),
                     ("test", "thumbs", "feedback"): (1, 1.0)}  # fmt: skip
    assert score_means(engine, [], 0) == []
