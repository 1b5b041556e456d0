#!/usr/bin/env bash
# Eval scorers and comparison statistics: CPU per case in process (bench/evals/scorers_bench.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = all ] && shift
.venv/bin/python bench/evals/scorers_bench.py --cases 10000 --rounds 3 "$@"
