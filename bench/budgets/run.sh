#!/usr/bin/env bash
# Budgets: Redis vs in-process counters (bench/budgets_overhead.py); `all` = the documented run.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = all ] && shift
exec flock /tmp/bench.lock .venv/bin/python bench/budgets_overhead.py --rounds 3 --seconds 5 --connections 64 "$@"
