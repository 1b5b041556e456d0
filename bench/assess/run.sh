#!/usr/bin/env bash
# Assessment over 1M request rows and 1M spans (bench/assess_bench.py) on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = all ] && shift
for backend in sqlite postgres; do
  .venv/bin/python bench/assess_bench.py --backend "$backend" --rows 1000000 --rounds 3 "$@"
done
