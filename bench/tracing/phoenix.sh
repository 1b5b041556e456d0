#!/usr/bin/env bash
# Arize Phoenix, the trace-ingest benchmark's peer: installed from PyPI at a pinned version into a venv
# under $VENVS, started pinned to one core with a fresh SQLite working directory under $WORK.
#   bench/tracing/phoenix.sh setup     # $VENVS/phoenix with arize-phoenix==$PHOENIX_VERSION
#   bench/tracing/phoenix.sh start     # http 9201 (OTLP at /v1/traces), grpc 9202; pid in $WORK/phoenix.pid
#   bench/tracing/phoenix.sh stop
#   bench/tracing/phoenix.sh version   # what the results name
set -euo pipefail
VENVS="${VENVS:-${TMPDIR:-/tmp}/venvs}"
WORK="${WORK:-${TMPDIR:-/tmp}/tracebench}"
SERVER_CPU="${SERVER_CPU:-1}"
PHOENIX_VERSION="${PHOENIX_VERSION:-20.26.1}"
mkdir -p "$WORK"

case "${1:-}" in
  setup)
    [ -x "$VENVS/phoenix/bin/python" ] || python3 -m venv "$VENVS/phoenix"
    "$VENVS/phoenix/bin/pip" install -q --disable-pip-version-check "arize-phoenix==$PHOENIX_VERSION"
    ;;
  start)
    [ -x "$VENVS/phoenix/bin/phoenix" ] || { echo "Phoenix is not installed: bench/tracing/phoenix.sh setup" >&2; exit 2; }
    rm -rf "$WORK/phoenix" && mkdir -p "$WORK/phoenix"
    # fds 3-9 closed: the server must not inherit the benchmark lock's descriptor
    PHOENIX_WORKING_DIR="$WORK/phoenix" PHOENIX_HOST=127.0.0.1 PHOENIX_PORT=9201 PHOENIX_GRPC_PORT=9202 \
      PHOENIX_TELEMETRY_ENABLED=false PHOENIX_ALLOW_EXTERNAL_RESOURCES=false \
      setsid taskset -c "$SERVER_CPU" "$VENVS/phoenix/bin/phoenix" serve >"$WORK/phoenix/server.log" 2>&1 \
      </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
    echo $! >"$WORK/phoenix.pid"
    for _ in $(seq 1 240); do
      curl -fs -o /dev/null http://127.0.0.1:9201/healthz && { echo "started Phoenix $PHOENIX_VERSION"; exit 0; }
      sleep 0.5
    done
    echo "Phoenix did not answer /healthz in 120 s (log: $WORK/phoenix/server.log)" >&2; exit 1
    ;;
  stop)
    [ -f "$WORK/phoenix.pid" ] || exit 0
    pid=$(cat "$WORK/phoenix.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true  # its own session (setsid)
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f "$WORK/phoenix.pid"; echo "stopped Phoenix ($pid)"
    ;;
  version) echo "arize-phoenix==$PHOENIX_VERSION" ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
