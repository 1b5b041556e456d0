#!/usr/bin/env bash
# Added latency at 1 connection, A/B: the working tree against an earlier revision, in the same rounds.
#   bash bench/gateway/latency_ab.sh REV [ROUNDS]
# Mock upstream (0 ms) and wrk on core 0; each Rungway (config bench/gateway/rungway-bench.yaml, own SQLite
# file, own key) on core 1; 2 s warm-up + 6 s measured per cell; prints p50 and req/s per round, then direct.
set -euo pipefail
REV=${1:?usage: latency_ab.sh REV [ROUNDS]}
ROUNDS=${2:-3}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
WORK=$(mktemp -d /tmp/rw-latab.XXXX)
LUA=bench/harness/chat.lua
git worktree add -q "$WORK/old" "$REV"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; git worktree remove --force "$WORK/old" 2>/dev/null || true; }
trap cleanup EXIT
setsid taskset -c 0 .venv/bin/python bench/harness/mock_upstream.py --port 9521 --latency-ms 0 >"$WORK/mock.log" 2>&1 &
pids+=($!)
sed 's/9321/9521/; s/9331/9521/' bench/gateway/rungway-bench.yaml >"$WORK/cfg.yaml"
start() {  # name src port
  export RUNGWAY_BENCH_DB="sqlite:///$WORK/$1.db" RUNGWAY_BENCH_PORT=$3
  PYTHONPATH=$2/src .venv/bin/python bench/gateway/make_key.py "$WORK/cfg.yaml" >"$WORK/$1.key"
  PYTHONPATH=$2/src setsid taskset -c 1 .venv/bin/python -m rungway serve --config "$WORK/cfg.yaml" \
    --log-level warning >"$WORK/$1.log" 2>&1 &
  pids+=($!)
}
start new "$ROOT" 9540
start old "$WORK/old" 9541
sleep 4
measure() {  # key port seconds
  GW_KEY=$1 taskset -c 0 wrk -t1 -c1 -d"$3"s --latency -s "$LUA" "http://127.0.0.1:$2" \
    | grep -E '^\s+50%|Requests/sec' | tr -s ' ' | tr '\n' ' '
}
for round in $(seq 1 "$ROUNDS"); do
  for t in old new; do
    port=$([ $t = new ] && echo 9540 || echo 9541)
    measure "$(cat "$WORK/$t.key")" "$port" 2 >/dev/null
    echo "$t ($([ $t = new ] && echo working tree || echo "$REV")) round $round: $(measure "$(cat "$WORK/$t.key")" "$port" 6)"
  done
done
echo "direct upstream: $(measure x 9521 6)"
