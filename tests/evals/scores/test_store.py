"""`hourly_score_means` (what anomaly detection reads through `rungway.evals.public`), on both stores: per name
and hour, the mean and count of one source's numeric scores of one workload."""

from __future__ import annotations

from rungway.capability import migration_packages
from rungway.evals.public import hourly_score_means
from rungway.evals.scores.model import Score
from rungway.evals.scores.store import insert_scores
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade

T0 = 1_790_000_000.0 // 3600 * 3600


def _score(i: int, workload: str, source: str, value: float | None, at: float, name: str = "helpfulness") -> Score:
    numeric = value is not None
    return Score(
        id=f"s{i}", workload=workload, name=name, data_type="numeric" if numeric else "categorical", value=value,
        string_value=None if numeric else "good", source=source,  # type: ignore[arg-type]
        author="judge", created_at=at, scorer="llm-rubric" if source in ("online", "eval") else None,
    )  # fmt: skip


def test_hourly_means_of_one_source(store_url: str) -> None:
    engine = create_store_engine(store_url)
    upgrade(engine, migration_packages())
    insert_scores(engine, [
        _score(1, "w", "online", 0.8, T0 + 10), _score(2, "w", "online", 0.6, T0 + 3599),
        _score(3, "w", "online", 0.2, T0 + 3600), _score(4, "w", "online", 1.0, T0 + 20, name="accuracy"),
        _score(5, "w", "feedback", 0.0, T0 + 30), _score(6, "other", "online", 0.0, T0 + 40),
        _score(7, "w", "online", None, T0 + 50), _score(8, "w", "online", 0.5, T0 + 7200),
    ])  # fmt: skip
    found = sorted((s.name, s.hour - T0, round(s.mean, 6), s.count)
                   for s in hourly_score_means(engine, "w", "online", T0, T0 + 7200))  # fmt: skip
    assert found == [("accuracy", 0.0, 1.0, 1), ("helpfulness", 0.0, 0.7, 2), ("helpfulness", 3600.0, 0.2, 1)]
