#!/usr/bin/env bash
# The anchors of the gateway benchmark: what Rungway is measured beside, in the same rounds, same load.
#   direct            the mock upstream called without a gateway (bench/harness/mock_upstream.py)
#   floor             the minimal Python pass-through gateway (bench/harness/floor_proxy.py)
#   litellm           LiteLLM proxy $LITELLM_VERSION from PyPI: one worker, master key, priced deployments
#   litellm_old_cli   LiteLLM $LITELLM_OLD_VERSION started as CLI `--model` (no config, no key): its fastest set-up
#   portkey           Portkey's open-source gateway $PORTKEY_VERSION from npm (node), routing by headers
#
#   bench/harness/anchors.sh setup                 # peers into $VENVS (venvs, npm prefix); wrk from Debian
#   bench/harness/anchors.sh start [nolitellm]     # mocks + floor (+ LiteLLM)
#   bench/harness/anchors.sh start-peer NAME       # litellm | litellm_old_cli | portkey
#   bench/harness/anchors.sh quiet                 # wait (bounded) for the machine to be quiet
#   bench/harness/anchors.sh version TARGET        # the peer's pinned version, recorded with each result
#   bench/harness/anchors.sh stop
#
# Placement (2 cores): the system under test on GW_CPU (1), the upstream mocks it calls on AUX_CPU (0), with
# wrk. Ports: direct mocks 9301 (0 ms) / 9311 (50 ms), the gateways' upstream mocks 9321 (0 ms) / 9331 (50 ms),
# floor 9302, litellm 9303, portkey 9304, litellm_old_cli 9312. Every gateway sends model "mock-model" to the
# 0 ms upstream and "mock-model-50" to the 50 ms one. The mocks and the floor run on the project's .venv.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENVS="${VENVS:-${TMPDIR:-/tmp}/venvs}"
WORK="${WORK:-${TMPDIR:-/tmp}/gwbench}"
GW_CPU="${GW_CPU:-1}"
AUX_CPU="${AUX_CPU:-0}"
PY="$ROOT/.venv/bin/python"
LITELLM_VERSION="${LITELLM_VERSION:-1.108.7}"
LITELLM_OLD_VERSION="${LITELLM_OLD_VERSION:-1.91.1}"
PORTKEY_VERSION="${PORTKEY_VERSION:-1.15.2}"
KEY="sk-bench-1"  # the floor's first key and LiteLLM's master key
mkdir -p "$WORK"

spawn() {  # spawn NAME CPUS CMD...: own session, pinned, pid in $WORK/NAME.pid
  local name=$1 cpus=$2; shift 2
  # fds 3-9 closed: a server started under `flock /tmp/bench.lock` must not hold the lock for its life
  setsid taskset -c "$cpus" "$@" >"$WORK/$name.log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
  echo $! >"$WORK/$name.pid"
}

stop_one() {  # the whole session of the process (LiteLLM forks workers), then forget it
  local file="$WORK/$1.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$file"; echo "stopped $1 ($pid)"
}

wait_ok() {  # wait_ok SECONDS CURL-ARGS...: until the request answers 200
  local seconds=$1 code=""; shift
  for _ in $(seq 1 $(( seconds * 2 ))); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$@" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  echo "timeout: ${*: -1} last answered '$code' (logs in $WORK)" >&2; return 1
}

wait_chat() {  # wait_chat PORT SECONDS [extra curl args]: a real chat call answers 200
  local port=$1 seconds=$2; shift 2
  wait_ok "$seconds" -H 'Content-Type: application/json' "$@" \
    -d '{"model":"mock-model","messages":[{"role":"user","content":"ping"}]}' \
    "http://127.0.0.1:$port/v1/chat/completions"
}

litellm_config() {  # the deployments call the mock as openai/gpt-4o-mini: a name in LiteLLM's price map
  cat <<EOF
model_list:
  - model_name: mock-model
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:9321/v1", api_key: sk-mock}
  - model_name: mock-model-50
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:9331/v1", api_key: sk-mock}
litellm_settings: {callbacks: [], num_retries: 0, request_timeout: 30, set_verbose: false, json_logs: false}
general_settings: {master_key: $KEY, disable_spend_logs: true, disable_error_logs: true}
EOF
}

start_peer() {
  # LITELLM_LOCAL_MODEL_COST_MAP: offline, LiteLLM reads its bundled price map
  case "$1" in
    litellm)
      litellm_config >"$WORK/litellm.yaml"
      LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR LITELLM_TELEMETRY=False DISABLE_ADMIN_UI=True \
        spawn litellm "$GW_CPU" "$VENVS/litellm/bin/litellm" --config "$WORK/litellm.yaml" \
        --host 127.0.0.1 --port 9303 --num_workers 1
      wait_chat 9303 180 -H "Authorization: Bearer $KEY"
      ;;
    litellm_old_cli)  # no config, no key, an unpriced model name: the set-up third-party comparisons use
      OPENAI_API_KEY=sk-mock LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true \
        spawn litellm_old_cli "$GW_CPU" "$VENVS/litellm191/bin/litellm" --model openai/mock-model \
        --api_base http://127.0.0.1:9321/v1 --host 127.0.0.1 --port 9312
      wait_chat 9312 180 -H "Authorization: Bearer $KEY"
      ;;
    portkey)  # the client names the provider and the upstream in headers (Portkey's own quick start)
      command -v node >/dev/null || { echo "portkey needs node (apt-get install -y nodejs)" >&2; return 1; }
      spawn portkey "$GW_CPU" node "$VENVS/portkey/node_modules/@portkey-ai/gateway/build/start-server.js" \
        --port=9304 --headless
      wait_chat 9304 60 -H 'Authorization: Bearer sk-mock' -H 'x-portkey-provider: openai' \
        -H 'x-portkey-custom-host: http://127.0.0.1:9321/v1'
      ;;
    *) echo "unknown peer $1 (litellm, litellm_old_cli, portkey)" >&2; return 2 ;;
  esac
  echo "started $1 pid $(cat "$WORK/$1.pid") ($(version "$1"))"
}

version() {  # the pinned version a target's numbers belong to
  case "$1" in
    litellm) echo "litellm==$LITELLM_VERSION" ;;
    litellm_old_cli) echo "litellm==$LITELLM_OLD_VERSION" ;;
    portkey) echo "@portkey-ai/gateway@$PORTKEY_VERSION" ;;
    *) echo "" ;;
  esac
}

busy_ticks() {  # CPU ticks the whole machine spent busy, from /proc/stat
  local _cpu user nice system _idle _iowait irq softirq steal
  read -r _cpu user nice system _idle _iowait irq softirq steal _ </proc/stat
  echo $(( user + nice + system + irq + softirq + steal ))
}

quiet() {  # wait up to QUIET_MAX s until the machine uses < QUIET_CORES cores (other work would skew a round)
  local max="${QUIET_MAX:-90}" limit="${QUIET_CORES:-0.3}" tick waited=0 before after cores=0
  tick=$(getconf CLK_TCK)
  while [ "$waited" -lt "$max" ]; do
    before=$(busy_ticks); sleep 2; after=$(busy_ticks); waited=$(( waited + 2 ))
    cores=$(awk -v a="$before" -v b="$after" -v t="$tick" 'BEGIN{printf "%.2f", (b - a) / t / 2}')
    if awk -v c="$cores" -v l="$limit" 'BEGIN{exit !(c < l)}'; then echo "quiet after ${waited}s"; return 0; fi
  done
  echo "machine still busy after ${max}s ($cores cores in use); measuring anyway" >&2
}

setup() {
  if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk; }
    else echo "wrk is missing: sudo apt-get install -y wrk (Debian/Ubuntu)" >&2; return 2; fi
  fi
  mkdir -p "$VENVS"
  local name spec
  for name in litellm litellm191; do
    spec="litellm[proxy]==$LITELLM_VERSION"; [ "$name" = litellm191 ] && spec="litellm[proxy]==$LITELLM_OLD_VERSION"
    [ -x "$VENVS/$name/bin/python" ] || python3 -m venv "$VENVS/$name"
    "$VENVS/$name/bin/pip" install -q --disable-pip-version-check "$spec"
  done
  if command -v npm >/dev/null; then
    npm install --prefix "$VENVS/portkey" --no-audit --no-fund --silent "@portkey-ai/gateway@$PORTKEY_VERSION"
  else
    echo "npm is missing: the portkey target is skipped (apt-get install -y nodejs npm)" >&2
  fi
  echo "peers in $VENVS: $(version litellm), $(version litellm_old_cli), $(version portkey)"
}

case "${1:-}" in
  setup) setup ;;
  start)
    command -v wrk >/dev/null || { echo "wrk is missing: run bench/harness/anchors.sh setup" >&2; exit 2; }
    spawn mock_direct_0 "$GW_CPU" "$PY" "$HERE/mock_upstream.py" --port 9301 --latency-ms 0
    spawn mock_direct_50 "$GW_CPU" "$PY" "$HERE/mock_upstream.py" --port 9311 --latency-ms 50
    spawn mock_up_0 "$AUX_CPU" "$PY" "$HERE/mock_upstream.py" --port 9321 --latency-ms 0
    spawn mock_up_50 "$AUX_CPU" "$PY" "$HERE/mock_upstream.py" --port 9331 --latency-ms 50
    for port in 9301 9311 9321 9331; do wait_ok 60 "http://127.0.0.1:$port/v1/models"; done
    spawn floor "$GW_CPU" "$PY" "$HERE/floor_proxy.py" --port 9302 --upstream http://127.0.0.1:9321 \
      --route mock-model-50=http://127.0.0.1:9331
    wait_chat 9302 60 -H "Authorization: Bearer $KEY"
    echo "started the mocks and the floor"
    case " ${*:2} " in *" nolitellm "*) ;; *) start_peer litellm ;; esac
    ;;
  start-peer) start_peer "${2:?start-peer NAME}" ;;
  quiet) quiet ;;
  version) version "${2:?version TARGET}" ;;
  stop)
    for name in portkey litellm_old_cli litellm floor mock_up_50 mock_up_0 mock_direct_50 mock_direct_0; do
      stop_one "$name"
    done
    ;;
  *) sed -n '2,19p' "$0"; exit 2 ;;
esac
