"""The scores store on both stores: `hourly_score_means` (what anomaly detection reads through
`rungway.evals.public`): per name and hour, the mean and count of one source's numeric scores of one workload;
`append_scores` (the online scorers' writer sink) stores a batch once (a replayed batch is skipped), and
`score_means` groups the window's trace scores by name and source."""

from __future__ import annotations

import time
from collections.abc import Callable

from rungway.capability import migration_packages
from rungway.evals.public import hourly_score_means
from rungway.evals.scores.model import Score, ScoreSource
from rungway.evals.scores.store import ScoreQuery, append_scores, insert_scores, read_scores, score_means
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from tests.servers import Gateway

T0 = 1_790_000_000.0 // 3600 * 3600


def _score(i: int, workload: str, source: str, value: float | None, at: float, name: str = "helpfulness") -> Score:
    numeric = value is not None
    return Score(
        id=f"s{i}",
        workload=workload,
        name=name,
        data_type="numeric" if numeric else "categorical",
        value=value,
        string_value=None if numeric else "good",
        source=source,  # type: ignore[arg-type]
        author="judge",
        created_at=at,
        scorer="llm-rubric" if source in ("online", "eval") else None,
    )


def test_hourly_means_of_one_source(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    insert_scores(
        engine,
        [
            _score(1, "w", "online", 0.8, T0 + 10),
            _score(2, "w", "online", 0.6, T0 + 3599),
            _score(3, "w", "online", 0.2, T0 + 3600),
            _score(4, "w", "online", 1.0, T0 + 20, name="accuracy"),
            _score(5, "w", "feedback", 0.0, T0 + 30),
            _score(6, "other", "online", 0.0, T0 + 40),
            _score(7, "w", "online", None, T0 + 50),
            _score(8, "w", "online", 0.5, T0 + 7200),
        ],
    )
    found = sorted(
        (s.name, s.hour - T0, round(s.mean, 6), s.count)
        for s in hourly_score_means(engine, "w", "online", T0, T0 + 7200)
    )
    assert found == [("accuracy", 0.0, 1.0, 1), ("helpfulness", 0.0, 0.7, 2), ("helpfulness", 3600.0, 0.2, 1)]


TRACE = "0af7651916cd43dd8448eb211c80319c"


def _online_score(
    id_: str, name: str, value: float, source: ScoreSource, created_at: float, workload: str = "test"
) -> Score:
    return Score(
        id_,
        workload,
        name,
        "numeric",
        value,
        None,
        source,
        "me",
        created_at,
        trace_id=TRACE,
        scorer="length" if source == "online" else None,
    )


def test_appended_scores_are_stored_once_and_averaged_per_source(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    engine = gateway_factory(store_url=store_url).state.engine
    now = time.time()
    batch = [
        _online_score("a", "short", 1.0, "online", now),
        _online_score("b", "short", 0.0, "online", now),
        _online_score("c", "thumbs", 1.0, "feedback", now),
        _online_score("d", "thumbs", 0.0, "feedback", now - 7200),
        _online_score("a", "short", 0.5, "online", now, workload="other"),
    ]
    append_scores(engine, batch)
    append_scores(engine, batch[:2])  # replayed from a spill file: skipped
    assert len(read_scores(engine, ScoreQuery("test"))) == 4
    means = {
        (m.workload, m.name, m.source): (m.count, m.mean) for m in score_means(engine, ["test", "other"], now - 60)
    }
    assert means == {
        ("other", "short", "online"): (1, 0.5),
        ("test", "short", "online"): (2, 0.5),
        ("test", "thumbs", "feedback"): (1, 1.0),
    }
    assert score_means(engine, [], 0) == []
