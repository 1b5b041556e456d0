"""The backtest: the forecast beats the linear month-end extrapolation and its 80% intervals cover ~80%."""

from __future__ import annotations

from rungway.forecasts.backtest import backtest, synthetic_series


def test_synthetic_series_are_reproducible() -> None:
    assert synthetic_series(3) == synthetic_series(3)
    assert synthetic_series(3).values != synthetic_series(4).values
    assert len(synthetic_series(3, days=50).values) == 50 and min(synthetic_series(3).values) > 0


def test_the_forecast_beats_linear_month_end_on_a_small_deterministic_backtest() -> None:
    result = backtest([synthetic_series(seed) for seed in range(16)], step=14)
    assert result.series == 16 and result.origins >= 100
    for h in (7, 30):
        model, linear = result.model[h], result.linear[h]
        assert model.wape < linear.wape, (h, model.wape, linear.wape)
        assert 0.7 <= model.coverage <= 0.92, (h, model.coverage)
    assert result.model_daily.wape < result.linear_daily.wape
    rows = result.rows()
    assert [(r["horizon_days"], r["method"]) for r in rows][:2] == [(7, "forecast"), (7, "linear month-end")]
