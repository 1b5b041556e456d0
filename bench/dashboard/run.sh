#!/usr/bin/env bash
# Every dashboard page over 1M request rows and 1M spans (bench/dashboard/dashboard_bench.py), SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
for backend in sqlite postgres; do
  .venv/bin/python bench/dashboard/dashboard_bench.py --backend "$backend" --rows 1000000 --rounds 3 "$@"
done
