#!/usr/bin/env bash
# Spend forecasts: the backtest against the linear month-end extrapolation (bench/forecasts/backtest.py), then
# the reads over 1M request-log rows on SQLite and PostgreSQL (bench/forecasts/reads.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = all ] && shift
.venv/bin/python bench/forecasts/backtest.py --series 200 "$@"
for backend in sqlite postgres; do
  .venv/bin/python bench/forecasts/reads.py --backend "$backend" --rows 1000000 --rounds 3
done
