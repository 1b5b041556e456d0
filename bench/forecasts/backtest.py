"""Benchmark: backtest the spend forecast against the linear month-end extrapolation.

    .venv/bin/python bench/forecasts/backtest.py                     # 200 synthetic series (seeds 0..199)
    .venv/bin/python bench/forecasts/backtest.py --store sqlite:///rungway.db   # also the store's history
    .venv/bin/python bench/forecasts/backtest.py --teams 100   # also 300 store-like summed series (teams, totals)
    .venv/bin/python bench/forecasts/backtest.py --seed-store 64 --store sqlite:///forecast-backtest.db

Synthetic series (rungway.forecasts.backtest.synthetic_series: 180 days of trend, weekly season, noise,
bursts and the odd step) are forecast from every 7th day with 56 to 120 days of history; with --store, each
workload's, team's and model's daily spend in the store (from its daily roll-up, brought up to date) with at
least 86 days is backtested the same way (--step 1 forecasts from every day: more origins, though a day apart
they repeat each other). --teams R backtests R replicas of 8 synthetic workloads summed into two teams of 4 and
one total, what a store's team and model series are. It prints, per horizon, the WAPE of the h-day totals and how
often the actual total fell inside the 80% interval (+- its standard error with each series one draw: a series'
origins overlap), for both methods, and the WAPE of single days. --seed-store W first writes W synthetic
workloads' 180 days of spend (seeds from 1000, one request-log row per workload and day) into the --store, in
teams of 4 and over 2 models (even and odd workloads), so the store's path (roll-up, daily series by workload,
team and model) is backtested on a known history.
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import func, select

from rungway.capability import migration_packages
from rungway.domain.records import RequestRecord
from rungway.domain.workloads import Workload
from rungway.forecasts.backtest import BacktestResult, Series, backtest, synthetic_series, team_sums
from rungway.forecasts.service import last_complete_day
from rungway.forecasts.store import daily_spend
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.schema import requests
from rungway.store.workloads import upsert_workload

DAY_S = 86_400.0


def report(title: str, result: BacktestResult, seconds: float) -> None:
    print(f"\n{title}: {result.series} series, {result.origins} origins ({seconds:.1f} s)")
    print(f"  {'horizon':>7}  {'method':<18} {'WAPE':>7} {'80% coverage':>16}")
    for row in result.rows():
        coverage = f"{row['coverage']:.1%} +- {row['coverage_se']:.1%}"
        print(f"  {row['horizon_days']:>5} d  {row['method']:<18} {row['wape']:>7.1%} {coverage:>16}")
    print(f"  single days: forecast WAPE {result.model_daily.wape:.1%}, linear {result.linear_daily.wape:.1%}")


def seed_store(url: str, workloads: int, days: int) -> None:
    """W synthetic workloads' daily spend as request-log rows ending yesterday (UTC): teams of 4, 2 models."""
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    with engine.connect() as conn:
        seeded = conn.execute(select(func.count()).where(requests.c.id.like("req_bt%"))).scalar_one()
    if seeded:  # a second run on the same store backtests what the first wrote
        print(f"{url}: already seeded ({seeded} rows)")
        engine.dispose()
        return
    first = int(time.time() // DAY_S) - days
    rows = []
    for w in range(workloads):
        name, team, model = f"bt-{w:03d}", f"bt-team-{w // 4:02d}", f"bt-model-{w % 2}"
        upsert_workload(engine, Workload(name=name, team=team))
        for d, value in enumerate(synthetic_series(1000 + w, days).values):
            at = (first + d) * DAY_S + 43_200.0
            rows.append(RequestRecord(
                id=f"req_bt{w:03d}d{d:04d}", ts_start=at, ts_end=at + 1, workload=name, key_id=None, user=None,
                team=team, model_requested=model, model_resolved=model, status=200, latency_ms=100.0,
                cost_nano=round(value * 1e9), priced=True,
            ))  # fmt: skip
    insert_requests(engine, rows)
    engine.dispose()


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
    parser.add_argument("--seed-store", type=int, default=0, help="first write W synthetic workloads into --store")
    args = parser.parse_args()
    t0 = time.perf_counter()
    synthetic = backtest([synthetic_series(seed, args.days) for seed in range(args.series)])
    report("synthetic", synthetic, time.perf_counter() - t0)
    if args.teams:
        t0 = time.perf_counter()
        report("synthetic team sums", backtest(team_sums(args.teams, args.days)), time.perf_counter() - t0)
    if args.store:
        if args.seed_store:
            seed_store(args.store, args.seed_store, args.days)
        found = store_series(args.store, 56 + 30)
        if not found:
            print(f"\n{args.store}: no series with {56 + 30} days of spend (nothing to backtest)")
            return
        t0 = time.perf_counter()
        report(f"store {args.store}", backtest(found, step=args.step), time.perf_counter() - t0)


if __name__ == "__main__":
    main()
