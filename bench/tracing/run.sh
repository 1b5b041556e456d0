#!/usr/bin/env bash
# Trace-ingest benchmark (see bench/tracing/run.py). Holds the shared bench lock so rounds do not overlap.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = all ] && shift
exec flock /tmp/bench.lock .venv/bin/python bench/tracing/run.py "$@"
