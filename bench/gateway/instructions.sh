#!/usr/bin/env bash
# Instructions per gateway call, counted by valgrind's callgrind: an A/B that a busy machine cannot blur.
#
#   bench/gateway/instructions.sh [BASE_REV]     # default HEAD~1; the current tree is always measured
#   bench/gateway/instructions.sh prompt         # the current tree without and with a prompt reference
#                                                # (targets plain and prompt: bench/gateway/make_prompt.py)
#
# Wall-clock and CPU-time benchmarks move with whatever else the machine runs; instruction counts
# do not (the same binary, inputs and environment give the same total). Each tree runs under
# callgrind with instrumentation off while it starts and warms up, then on for a fixed wrk load
# (CONNS connections, DUR seconds, 0 ms upstream), then off; the count covers every thread of the
# server (event loop, writers) and is divided by the calls answered in that window. Lines go to
# $RESULTS as JSON; the table is printed. Needs valgrind (Debian) and the mocks of
# bench/harness/anchors.sh (started here when missing). Python runs 50-100x slower under callgrind:
# the calls per window are few, but each count is exact. What it cannot see: the kernel's share (system
# calls), cache misses (an instruction costs more cycles in a larger working set), and the regime of a
# loaded server (at ~50 calls/s the writers commit batches of a few rows, so per-batch costs weigh more
# than under wrk at full speed). Read it beside run.sh's CPU per call, not instead of it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export WORK="${WORK:-${TMPDIR:-/tmp}/gwbench}"
RW_PY="$ROOT/.venv/bin/python"
RW_CONFIG="${RW_CONFIG:-$HERE/rungway-bench.yaml}"
LUA="$ROOT/bench/harness/chat.lua"
CONNS="${CONNS:-16}"
DUR="${DUR:-20}"
STREAM="${STREAM:-0}"
ROUNDS="${ROUNDS:-2}"
IDLE="${IDLE:-5}"  # seconds of the idle window before each load window
BASE_REV="${1:-HEAD~1}"
RESULTS="${RESULTS:-$HERE/results/instructions.jsonl}"
mkdir -p "$WORK/cg" "$(dirname "$RESULTS")"
command -v valgrind >/dev/null || { echo "valgrind missing: apt-get install -y valgrind" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
curl -s -o /dev/null "http://127.0.0.1:9321/" || bash "$ROOT/bench/harness/anchors.sh" start nolitellm

if [ "$BASE_REV" != prompt ]; then
  rm -rf "$WORK/cg_base_src" && mkdir -p "$WORK/cg_base_src"
  git -C "$ROOT" archive "$BASE_REV" src | tar -x -C "$WORK/cg_base_src"
  BASE_SHA=$(git -C "$ROOT" rev-parse --short "$BASE_REV")
fi
CUR_SHA=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo "+")

measure() {  # measure NAME PORT [PYTHONPATH [PROMPT]]: one JSON line (instructions per call)
  local name=$1 port=$2 path=${3:-} prompt=${4:-} pid key out n total
  rm -rf "$WORK/cg_$name"* "$WORK/cg/$name.out"*
  export RUNGWAY_BENCH_DB="sqlite:///$WORK/cg_$name.db" RUNGWAY_BENCH_PORT="$port"
  export RUNGWAY_BENCH_SPILL="$WORK/cg_$name-spill"
  key=$(PYTHONPATH="$path" "$RW_PY" "$HERE/make_key.py" "$RW_CONFIG")
  [ -z "$prompt" ] || PYTHONPATH="$path" "$RW_PY" "$HERE/make_prompt.py" "$RW_CONFIG" >/dev/null
  PYTHONPATH="$path" setsid valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$WORK/cg/$name.out" "$RW_PY" -m rungway serve --config "$RW_CONFIG" \
    --port "$port" --log-level warning >"$WORK/cg_$name.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 240); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d '{"model":"mock-model","messages":[{"role":"user","content":"ping"}]}' \
      "http://127.0.0.1:$port/v1/chat/completions" || true)
    [ "$code" = 200 ] && break
    sleep 0.5
  done
  export GW_KEY=$key GW_STREAM=$STREAM GW_MODEL=mock-model GW_HEADERS="" GW_PROMPT=$prompt
  wrk -t1 -c"$CONNS" -d5s --timeout 30s -s "$LUA" "http://127.0.0.1:$port" >/dev/null  # warm-up
  # First an idle window: what the server runs by the clock (refreshes, roll-ups, timers), so it can be
  # taken out of the count per call; a slower machine answers fewer calls in the load window, and that
  # background would otherwise weigh more on each (`per_call` keeps it, `per_call_net` does not).
  callgrind_control -i on "$pid" >/dev/null 2>&1
  t0=$(date +%s.%N); sleep "$IDLE"; callgrind_control -d "$pid" >/dev/null 2>&1; t1=$(date +%s.%N)
  out=$(wrk -t1 -c"$CONNS" -d"${DUR}s" --timeout 30s -s "$LUA" "http://127.0.0.1:$port")
  sleep 1  # the writers' last batches of this window
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  t2=$(date +%s.%N)
  sleep 1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  n=$(grep -oE '^ *[0-9]+ requests in' <<<"$out" | grep -oE '[0-9]+')
  idle=$(awk '/^totals:/ {s += $2} END {print s + 0}' "$WORK/cg/$name.out.1")
  total=$(cat "$WORK/cg/$name.out" "$WORK/cg/$name.out".[2-9] 2>/dev/null | awk '/^totals:/ {s += $2} END {print s + 0}')
  net=$(awk -v t="$total" -v i="$idle" -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n" \
    'BEGIN {printf "%d", (t - i / (b - a) * (c - b)) / n}')
  echo "{\"target\":\"$name\",\"rev\":\"$([ "$name" = base ] && echo "$BASE_SHA" || echo "$CUR_SHA")\",\"conns\":$CONNS,\"stream\":$STREAM,\"calls\":$n,\"instructions\":$total,\"per_call\":$(( total / n )),\"idle_per_s\":$(awk -v i="$idle" -v a="$t0" -v b="$t1" 'BEGIN {printf "%d", i / (b - a)}'),\"per_call_net\":$net}"
}

for i in $(seq 1 "$ROUNDS"); do
  if [ "$BASE_REV" = prompt ]; then
    measure plain 9350 | tee -a "$RESULTS"
    measure prompt 9351 "" bench-summary | tee -a "$RESULTS"
  else
    measure base 9351 "$WORK/cg_base_src/src" | tee -a "$RESULTS"
    measure current 9350 | tee -a "$RESULTS"
  fi
done
