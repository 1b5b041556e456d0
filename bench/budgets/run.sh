#!/usr/bin/env bash
# Budgets: Redis vs in-process counters (bench/budgets_overhead.py); `all` = the documented run:
# 3 rounds, variants off/memory/redis interleaved, at 64 connections (0 ms and 50 ms upstream) and 1 connection.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = all ] && shift
exec flock /tmp/bench.lock .venv/bin/python bench/budgets_overhead.py --rounds 3 --seconds 5 \
  --settings 64c-0ms,64c-50ms,1c-0ms "$@"
