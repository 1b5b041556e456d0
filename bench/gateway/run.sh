#!/usr/bin/env bash
# Rungway's gateway benchmark: Rungway beside the anchors of bench/harness/anchors.sh (the upstream
# directly, the minimal Python "floor" gateway, LiteLLM proxy, Portkey's gateway), same wrk load, same round.
#
#   bench/gateway/run.sh setup              # peers (pinned LiteLLM, Portkey) into $VENVS, wrk, py-spy into .venv
#   bench/gateway/run.sh start              # mocks + floor + peers, then Rungway on core 1
#   bench/gateway/run.sh start-rungway      # (re)start only Rungway (after a code change)
#   bench/gateway/run.sh start-base         # RW_BASE_REV (default HEAD~1) as target rungway_base (A/B)
#   bench/gateway/run.sh round LAT [STREAM] # every target at every connection count, interleaved
#   bench/gateway/run.sh all                # start, ROUNDS x {0, 50 ms} + streaming rounds, stop, summary
#   bench/gateway/run.sh ab                 # floor vs RW_BASE_SRC / RW_BASE_REV tree vs current, same rounds
#                                           # (RW_MID_REV=rev adds a third tree, target rungway_mid)
#   bench/gateway/run.sh durability         # floor vs recorder.durability memory vs write-ahead, same rounds
#   bench/gateway/run.sh prompt-ab          # one Rungway called without and with a prompt reference (target
#                                           # rungway_prompt, same body size), same rounds: CPU µs per call added
#                                           # targets rungway_messages, rungway_responses, rungway_completions: the
#                                           # same Rungway called through that API (translated to chat), any round
#   bench/gateway/run.sh start-wal          # (re)start only the write-ahead instance (rungway_wal)
#   bench/gateway/run.sh online-ab          # floor vs Rungway vs Rungway with online scoring at 10% (rungway_online,
#                                           # bench/gateway/rungway-online.yaml), same rounds
#   bench/gateway/run.sh cache-ab           # floor vs Rungway vs Rungway with the exact cache (rungway_cache,
#                                           # bench/gateway/rungway-cache.yaml: wrk repeats one body, so every call
#                                           # after the first is an exact hit), same rounds
#   bench/gateway/run.sh profile [CONNS]    # py-spy record of Rungway under wrk (raw + top costs)
#   bench/gateway/run.sh ttft               # time to first token, streaming, 1 connection (bench/gateway/ttft.py)
#   bench/gateway/run.sh stop
#
# Placement (as bench/harness/anchors.sh): the system under test on GW_CPU (1), wrk and the
# upstream mocks the gateways call on AUX_CPU (0). Rungway listens on 9340 with
# bench/gateway/rungway-bench.yaml (auth + rate limits + pricing + request log into SQLite, all on).
# One JSON line per wrk run goes to $RESULTS (with the pinned version of a peer target);
# bench/gateway/summarize.py turns them into the tables of docs/benchmarks.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# Another harness with the same sub-commands (and its wrk script) can stand in as a cross-check.
ANCHORS="${ANCHORS:-$ROOT/bench/harness/anchors.sh}"
LUA="${LUA:-$ROOT/bench/harness/chat.lua}"
export VENVS="${VENVS:-${TMPDIR:-/tmp}/venvs}"
export WORK="${WORK:-${TMPDIR:-/tmp}/gwbench}"
GW_CPU="${GW_CPU:-1}"
AUX_CPU="${AUX_CPU:-0}"
DUR="${DUR:-10}"
WARM="${WARM:-2}"
CONNS="${CONNS:-1 16 64}"
TARGETS="${TARGETS:-direct floor rungway litellm portkey}"
ROUNDS="${ROUNDS:-3}"
export RESULTS="${RESULTS:-$HERE/results/runs.jsonl}"
RW_PORT="${RW_PORT:-9340}"
RW_PY="$ROOT/.venv/bin/python"
RW_CONFIG="${RW_CONFIG:-$HERE/rungway-bench.yaml}"
ANCHOR_KEY="sk-bench-1"   # the floor's and LiteLLM's key (bench/harness/anchors.sh)
mkdir -p "$WORK" "$(dirname "$RESULTS")"

spawn() {  # spawn NAME CPUS CMD...: own session, pinned, pid in $WORK/NAME.pid, fds 3-9 closed
  local name=$1 cpus=$2; shift 2
  setsid taskset -c "$cpus" "$@" >"$WORK/$name.log" 2>&1 </dev/null \
    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$WORK/$name.pid"
}

stop_one() {
  local f="$WORK/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"; echo "stopped $1 ($pid)"
}

wait_chat() {  # wait_chat PORT KEY SECONDS
  local code=""
  for _ in $(seq 1 $(( $3 * 2 ))); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" \
      -H 'Content-Type: application/json' \
      -d '{"model":"mock-model","messages":[{"role":"user","content":"ping"}]}' \
      "http://127.0.0.1:$1/v1/chat/completions" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  echo "timeout waiting for chat on port $1 (last code $code)" >&2; return 1
}

start_rungway() {  # start_rungway [NAME PORT]: NAME "rungway_base" runs the tree in $RW_BASE_SRC (A/B)
  local name="${1:-rungway}" port="${2:-$RW_PORT}"
  stop_one "$name"
  rm -rf "$WORK/$name"-bench.db* "$WORK/$name-spill"
  (
    export RUNGWAY_BENCH_DB="sqlite:///$WORK/$name-bench.db" RUNGWAY_BENCH_PORT="$port"
    export RUNGWAY_BENCH_SPILL="$WORK/$name-spill"
    case "$name" in rungway_base|rungway_mid) export PYTHONPATH="$RW_BASE_SRC" ;; esac
    "$RW_PY" "$HERE/make_key.py" "$RW_CONFIG" >"$WORK/$name.key"
    spawn "$name" "$GW_CPU" "$RW_PY" -m rungway serve --config "$RW_CONFIG" --port "$port" --log-level warning
  )
  wait_chat "$port" "$(cat "$WORK/$name.key")" 60
  echo "started $name pid $(cat "$WORK/$name.pid") port $port ($(git -C "$ROOT" rev-parse --short HEAD))"
}

port_of() {  # port_of TARGET LAT
  case "$1" in
    direct) [ "$2" = 0 ] && echo 9301 || echo 9311 ;;
    floor) echo 9302 ;;
    litellm) echo 9303 ;;
    portkey) echo 9304 ;;
    litellm_old_cli) echo 9312 ;;
    rungway|rungway_prompt|rungway_messages|rungway_responses|rungway_completions) echo "$RW_PORT" ;;
    rungway_base) echo 9341 ;;
    rungway_mid) echo 9343 ;;
    rungway_wal) echo "${RW_WAL_PORT:-9342}" ;;
    rungway_online) echo "${RW_ONLINE_PORT:-9344}" ;;
    rungway_cache) echo "${RW_CACHE_PORT:-9345}" ;;
    *) echo "unknown target $1" >&2; return 2 ;;
  esac
}

pid_of() {  # pid_of TARGET LAT
  case "$1" in
    direct) cat "$WORK/mock_direct_$2.pid" ;;
    rungway_prompt|rungway_messages|rungway_responses|rungway_completions) cat "$WORK/rungway.pid" ;;
    *) cat "$WORK/$1.pid" ;;
  esac
}

key_of() {
  case "$1" in
    rungway|rungway_base|rungway_mid|rungway_wal|rungway_online|rungway_cache) cat "$WORK/$1.key" ;;
    rungway_prompt|rungway_messages|rungway_responses|rungway_completions) cat "$WORK/rungway.key" ;;
    portkey) echo sk-mock ;;  # Portkey forwards the caller's key to the upstream
    *) echo "$ANCHOR_KEY" ;;
  esac
}

tree_pids() {  # a pid and all its descendants (LiteLLM may fork workers)
  echo "$1"
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do tree_pids "$c"; done
}

cpu_ticks() {  # utime+stime (clock ticks) summed over a process tree, threads included
  local s=0 p f
  for p in $(tree_pids "$1"); do
    [ -r "/proc/$p/stat" ] || continue
    f=$(sed 's/^.*) //' "/proc/$p/stat")
    set -- $f
    s=$(( s + ${12} + ${13} ))
  done
  echo "$s"
}

run_wrk() {  # run_wrk ROUND TARGET LAT STREAM CONN: one measured wrk run, one JSON line
  local round=$1 target=$2 lat=$3 stream=$4 c=$5
  local port pid url out line t0 t1 w0 w1 tick wu ws
  port=$(port_of "$target" "$lat")
  pid=$(pid_of "$target" "$lat" 2>/dev/null) || { echo "skip $target: not running" >&2; return 0; }
  if [ "$target" = portkey ] && [ "$stream" = 1 ]; then  # Portkey-AI/gateway#1389: a streamed answer is a 500
    echo "skip portkey, streaming: @portkey-ai/gateway answers 500 (TypeError: immutable) on Node" >&2; return 0
  fi
  url="http://127.0.0.1:$port"
  GW_KEY=$(key_of "$target"); export GW_KEY GW_STREAM=$stream
  export GW_MODEL=mock-model; [ "$lat" = 0 ] || export GW_MODEL=mock-model-50
  export GW_PROMPT=""; [ "$target" = rungway_prompt ] && GW_PROMPT=bench-summary  # bench/gateway/make_prompt.py
  export GW_API=chat  # rungway_messages etc.: the same Rungway called through another API (bench/harness/chat.lua)
  case "$target" in rungway_messages|rungway_responses|rungway_completions) GW_API="${target#rungway_}" ;; esac
  export GW_HEADERS=""  # Portkey is told the provider and the upstream in headers
  [ "$target" = portkey ] && GW_HEADERS="x-portkey-provider:openai;x-portkey-custom-host:http://127.0.0.1:$([ "$lat" = 0 ] && echo 9321 || echo 9331)/v1"
  taskset -c "$AUX_CPU" wrk -t1 -c"$c" -d"${WARM}s" --timeout 10s -s "$LUA" "$url" >/dev/null
  tick=$(getconf CLK_TCK)
  t0=$(cpu_ticks "$pid"); w0=$(date +%s.%N)
  out=$( { /usr/bin/time -f 'WRKTIME %U %S' taskset -c "$AUX_CPU" wrk -t1 -c"$c" -d"${DUR}s" \
           --timeout 10s -s "$LUA" "$url"; } 2>&1 )
  w1=$(date +%s.%N); t1=$(cpu_ticks "$pid")
  read -r _ wu ws < <(grep '^WRKTIME ' <<<"$out")
  line=$(grep '^WRKJSON ' <<<"$out" | sed 's/^WRKJSON //')
  line="${line%\}},\"round\":\"$round\",\"target\":\"$target\",\"lat_ms\":$lat,\"stream\":$stream,\"conns\":$c"
  line="$line,\"cpu_s\":$(awk -v a="$t0" -v b="$t1" -v t="$tick" 'BEGIN{printf "%.2f",(b-a)/t}')"
  line="$line,\"wrk_cpu_s\":$(awk -v a="$wu" -v b="$ws" 'BEGIN{printf "%.2f",a+b}')"
  line="$line,\"wall_s\":$(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.2f",b-a}')"
  line="$line,\"rev\":\"$(git -C "$ROOT" rev-parse --short HEAD)${RW_LABEL:+-$RW_LABEL}\""
  line="$line,\"version\":\"$(bash "$ANCHORS" version "$target")\"}"
  echo "$line" >>"$RESULTS"
  echo "$line"
}

round() {  # round LAT STREAM
  local lat=$1 stream=$2 id="${ROUND_ID:-$(date +%H%M%S)}" c t
  for c in $CONNS; do
    for t in $TARGETS; do run_wrk "$id" "$t" "$lat" "$stream" "$c"; done
  done
}

case "${1:-}" in
  setup)
    bash "$ANCHORS" setup
    "$ROOT/.venv/bin/pip" install -q py-spy
    ;;
  start)
    command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk" >&2; exit 2; }
    case " $TARGETS " in
      *" litellm "*) flock -o /tmp/bench.lock bash "$ANCHORS" start ;;
      *) flock -o /tmp/bench.lock bash "$ANCHORS" start nolitellm ;;
    esac
    case " $TARGETS ${EXTRA_0MS-litellm_old_cli} " in *" litellm_old_cli "*)
      flock -o /tmp/bench.lock bash "$ANCHORS" start-peer litellm_old_cli ;; esac
    case " $TARGETS " in *" portkey "*)
      flock -o /tmp/bench.lock bash "$ANCHORS" start-peer portkey || echo "portkey not started: skipped" >&2 ;; esac
    start_rungway
    ;;
  start-rungway) start_rungway ;;
  start-wal) RUNGWAY_BENCH_DURABILITY=write-ahead start_rungway rungway_wal "${RW_WAL_PORT:-9342}" ;;
  start-online) RW_CONFIG="$HERE/rungway-online.yaml" start_rungway rungway_online "${RW_ONLINE_PORT:-9344}" ;;
  start-cache) RW_CONFIG="$HERE/rungway-cache.yaml" start_rungway rungway_cache "${RW_CACHE_PORT:-9345}" ;;
  start-base)  # an earlier revision beside the current one: RW_BASE_REV (default HEAD~1) exported
    if [ -z "${RW_BASE_SRC:-}" ]; then  # or RW_BASE_SRC=/path/to/a/src/tree
      rm -rf "$WORK/base_src" && mkdir -p "$WORK/base_src"
      git -C "$ROOT" archive "${RW_BASE_REV:-HEAD~1}" src | tar -x -C "$WORK/base_src"
      RW_BASE_SRC="$WORK/base_src/src"
    fi
    RW_BASE_SRC="$RW_BASE_SRC" start_rungway rungway_base 9341
    ;;
  start-mid)  # a second earlier revision, RW_MID_REV, as target rungway_mid (a three-way A/B)
    rm -rf "$WORK/mid_src" && mkdir -p "$WORK/mid_src"
    git -C "$ROOT" archive "${RW_MID_REV:?set RW_MID_REV}" src | tar -x -C "$WORK/mid_src"
    RW_BASE_SRC="$WORK/mid_src/src" start_rungway rungway_mid 9343
    ;;
  round) round "${2:-0}" "${3:-0}" ;;
  ttft)
    flock /tmp/bench.lock taskset -c "$AUX_CPU" "$RW_PY" "$HERE/ttft.py" --rounds "$ROUNDS" --calls 500 \
      --results "${RESULTS%.jsonl}-ttft.jsonl"
    ;;
  stop)
    stop_one rungway_mid
    stop_one rungway_online
    stop_one rungway_cache
    stop_one rungway_wal
    stop_one rungway_base
    stop_one rungway
    bash "$ANCHORS" stop
    ;;
  all)
    [ -x "$VENVS/litellm/bin/litellm" ] && command -v wrk >/dev/null || bash "$0" setup
    bash "$0" stop >/dev/null 2>&1 || true
    bash "$0" start
    for i in $(seq 1 "$ROUNDS"); do
      bash "$ANCHORS" quiet
      # LiteLLM's fastest set-up found (1.91.1, CLI --model, no key, unpriced) joins the 0 ms rounds.
      TARGETS="$TARGETS ${EXTRA_0MS:-litellm_old_cli}" ROUND_ID="r$i" flock /tmp/bench.lock bash "$0" round 0 0
      bash "$ANCHORS" quiet
      ROUND_ID="r$i" flock /tmp/bench.lock bash "$0" round 50 0
      bash "$ANCHORS" quiet
      CONNS=16 ROUND_ID="s$i" flock /tmp/bench.lock bash "$0" round 0 1
    done
    bash "$0" ttft
    bash "$0" stop
    "$RW_PY" "$HERE/summarize.py" "$RESULTS"
    ;;
  ab)  # A/B in the same rounds: floor, an earlier tree (RW_BASE_SRC or RW_BASE_REV) and the current one
    flock -o /tmp/bench.lock bash "$ANCHORS" start nolitellm
    start_rungway
    bash "$0" start-base
    ab_targets="floor rungway_base rungway"
    if [ -n "${RW_MID_REV:-}" ]; then bash "$0" start-mid; ab_targets="floor rungway_base rungway_mid rungway"; fi
    for i in $(seq 1 "$ROUNDS"); do
      bash "$ANCHORS" quiet
      TARGETS="$ab_targets" ROUND_ID="ab$i" flock /tmp/bench.lock bash "$0" round 0 0
      [ "${AB_STREAM:-1}" = 1 ] && TARGETS="$ab_targets" CONNS=16 ROUND_ID="abs$i" \
        flock /tmp/bench.lock bash "$0" round 0 1
    done
    bash "$0" stop
    "$RW_PY" "$HERE/summarize.py" "$RESULTS"
    ;;
  durability)  # A/B in the same rounds: recorder.durability memory (rungway) vs write-ahead (rungway_wal)
    flock -o /tmp/bench.lock bash "$ANCHORS" start nolitellm
    start_rungway
    bash "$0" start-wal
    for i in $(seq 1 "$ROUNDS"); do
      bash "$ANCHORS" quiet
      TARGETS="floor rungway rungway_wal" ROUND_ID="wal$i" flock /tmp/bench.lock bash "$0" round 0 0
    done
    bash "$0" stop
    "$RW_PY" "$HERE/summarize.py" "$RESULTS"
    ;;
  online-ab)  # A/B in the same rounds: Rungway without (rungway) and with online scoring at 10% (rungway_online)
    flock -o /tmp/bench.lock bash "$ANCHORS" start nolitellm
    start_rungway
    bash "$0" start-online
    for i in $(seq 1 "$ROUNDS"); do
      bash "$ANCHORS" quiet
      TARGETS="floor rungway rungway_online" ROUND_ID="on$i" flock /tmp/bench.lock bash "$0" round 0 0
    done
    bash "$0" stop
    "$RW_PY" "$HERE/summarize.py" "$RESULTS" --rounds "$(seq -s, -f 'on%g' 1 "$ROUNDS")"
    ;;
  cache-ab)  # A/B in the same rounds: Rungway without (rungway) and with the exact cache answering (rungway_cache)
    flock -o /tmp/bench.lock bash "$ANCHORS" start nolitellm
    start_rungway
    bash "$0" start-cache
    for i in $(seq 1 "$ROUNDS"); do
      bash "$ANCHORS" quiet
      TARGETS="direct floor rungway rungway_cache" ROUND_ID="ca$i" flock /tmp/bench.lock bash "$0" round 0 0
      TARGETS="direct floor rungway rungway_cache" ROUND_ID="ca$i" flock /tmp/bench.lock bash "$0" round 50 0
    done
    bash "$0" stop
    "$RW_PY" "$HERE/summarize.py" "$RESULTS" --rounds "$(seq -s, -f 'ca%g' 1 "$ROUNDS")"
    ;;
  prompt-ab)  # A/B in the same rounds: the same Rungway without and with a prompt reference (same body size)
    flock -o /tmp/bench.lock bash "$ANCHORS" start nolitellm
    start_rungway
    RUNGWAY_BENCH_DB="sqlite:///$WORK/rungway-bench.db" "$RW_PY" "$HERE/make_prompt.py" "$RW_CONFIG"
    sleep 2  # the gateway's prompt catalog refreshes from the store every second
    for i in $(seq 1 "$ROUNDS"); do
      bash "$ANCHORS" quiet
      TARGETS="rungway rungway_prompt" ROUND_ID="pr$i" flock /tmp/bench.lock bash "$0" round 0 0
    done
    bash "$0" stop
    "$RW_PY" "$HERE/summarize.py" "$RESULTS" --rounds "$(seq -s, -f 'pr%g' 1 "$ROUNDS")"
    ;;
  profile)  # profile [CONNS [LAT [STREAM]]]: py-spy samples of Rungway under load, top costs
    c="${2:-16}"; lat="${3:-0}"; stream="${4:-0}"
    pid=$(cat "$WORK/rungway.pid")
    GW_KEY=$(cat "$WORK/rungway.key"); export GW_KEY GW_STREAM=$stream
    export GW_MODEL=mock-model; [ "$lat" = 0 ] || export GW_MODEL=mock-model-50
    taskset -c "$AUX_CPU" wrk -t1 -c"$c" -d14s --timeout 10s -s "$LUA" \
      "http://127.0.0.1:$RW_PORT" >"$WORK/profile_wrk.txt" &
    wp=$!
    sleep 2
    out="$WORK/rungway.pyspy.c$c.l$lat.s$stream.txt"
    "$ROOT/.venv/bin/py-spy" record -d 10 -r 250 -f raw -o "$out" -p "$pid" --nonblocking >/dev/null 2>&1 || true
    wait "$wp"
    grep -E 'Requests/sec' "$WORK/profile_wrk.txt" || true
    "$RW_PY" "$HERE/pyspy_top.py" "$out"
    ;;
  *) sed -n '2,26p' "$0"; exit 2 ;;
esac
