"""Benchmark: backtest the spend forecast against the linear month-end extrapolation.

    .venv/bin/python bench/forecasts/backtest.py                     # 200 synthetic series (seeds 0..199)
    .venv/bin/python bench/forecasts/backtest.py --store sqlite:///rungway.db   # also the store's history
    .venv/bin/python bench/forecasts/backtest.py --teams 100   # also 300 store-like summed series (teams, totals)

Synthetic series (rungway.forecasts.backtest.synthetic_series: 180 days of trend, weekly season, noise,
bursts and the odd step) are forecast from every 7th day with 56 to 120 days of history; with --store, each
workload's, team's and model's daily spend in the store (from its daily roll-up, brought up to date) with at
least 86 days is backtested the same way (--step 1 forecasts from every day: more origins, though a day apart
they repeat each other). --teams R backtests R replicas of 8 synthetic workloads summed into two teams of 4 and
one total, what a store's team and model series are. It prints, per horizon, the WAPE of the h-day totals and how
often the actual total fell inside the 80% interval (+- its standard error with each series one draw: a series'
origins overlap), for both methods, and the WAPE of single days.
"""

from __future__ import annotations

import argparse
import time

from rungway.capability import migration_packages
from rungway.forecasts.backtest import BacktestResult, Series, backtest, synthetic_series, team_sums
from rungway.forecasts.service import last_complete_day
from rungway.forecasts.store import daily_spend
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade


def report(title: str, result: BacktestResult, seconds: float) -> None:
    print(f"\n{title}: {result.series} series, {result.origins} origins ({seconds:.1f} s)")
    print(f"  {'horizon':>7}  {'method':<18} {'WAPE':>7} {'80% coverage':>16}")
    for row in result.rows():
        coverage = f"{row['coverage']:.1%} +- {row['coverage_se']:.1%}"
        print(f"  {row['horizon_days']:>5} d  {row['method']:<18} {row['wape']:>7.1%} {coverage:>16}")
    print(f"  single days: forecast WAPE {result.model_daily.wape:.1%}, linear {result.linear_daily.wape:.1%}")


def store_series(url: str, min_days: int) -> list[Series]:
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    last = last_complete_day(engine, time.time())
    found: list[Series] = []
    for dim in ("workload", "team", "model"):
        days: dict[str | None, dict[int, float]] = {}
        for row in daily_spend(engine, dim, last - 365, last):
            days.setdefault(row.key, {})
            days[row.key][row.day] = days[row.key].get(row.day, 0.0) + row.cost_nano
        for key, spend in days.items():
            first = min(spend)
            if last - first + 1 >= min_days and any(spend.values()):
                values = tuple(spend.get(d, 0.0) for d in range(first, last + 1))
                found.append(Series(f"{dim}:{key}", first, values))
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200, help="synthetic series (seeds 0..N-1)")
    parser.add_argument("--days", type=int, default=180, help="days per synthetic series")
    parser.add_argument("--store", default=None, help="also backtest the request-log history of this store URL")
    parser.add_argument("--step", type=int, default=7, help="days between a store series' origins")
    parser.add_argument("--teams", type=int, default=0, help="also R replicas of 2 team sums and a total")
    args = parser.parse_args()
    t0 = time.perf_counter()
    synthetic = backtest([synthetic_series(seed, args.days) for seed in range(args.series)])
    report("synthetic", synthetic, time.perf_counter() - t0)
    if args.teams:
        t0 = time.perf_counter()
        report("synthetic team sums", backtest(team_sums(args.teams, args.days)), time.perf_counter() - t0)
    if args.store:
        found = store_series(args.store, 56 + 30)
        if not found:
            print(f"\n{args.store}: no series with {56 + 30} days of spend (nothing to backtest)")
            return
        t0 = time.perf_counter()
        report(f"store {args.store}", backtest(found, step=args.step), time.perf_counter() - t0)


if __name__ == "__main__":
    main()
