#!/usr/bin/env bash
# Trace-ingest benchmark (see bench/tracing/run.py). Holds the bench lock so rounds do not overlap.
# `setup` installs the peer (Phoenix, pinned) into $VENVS; `all` sets it up if needed, then measures.
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
  setup) exec bash bench/tracing/phoenix.sh setup ;;
  all) shift; [ -x "${VENVS:-${TMPDIR:-/tmp}/venvs}/phoenix/bin/phoenix" ] || bash bench/tracing/phoenix.sh setup ;;
esac
exec flock /tmp/bench.lock .venv/bin/python bench/tracing/run.py "$@"
