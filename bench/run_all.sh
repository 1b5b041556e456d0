#!/usr/bin/env bash
# `make bench`: every benchmark under bench/, one after the other.
# Convention: each benchmark is a folder bench/<name>/ with a run.sh whose `all` sub-command sets up
# what it needs, measures (system under test on core 1, load on core 0, /tmp/bench.lock around the
# measured rounds), appends raw results under bench/<name>/results/ and prints the markdown summary
# that goes into docs/benchmarks.md. The gateway benchmark runs first; a new folder is picked up here
# without editing this file. BENCH=gateway,budgets runs only those.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
status=0
names=gateway
for dir in "$HERE"/*/; do
  name=$(basename "$dir")
  [ "$name" != gateway ] && [ -f "$dir/run.sh" ] && names="$names $name"
done
for name in $names; do
  case ",${BENCH:-$name}," in *",$name,"*) ;; *) continue ;; esac
  echo "== bench/$name"
  bash "$HERE/$name/run.sh" all || { echo "bench/$name failed" >&2; status=1; }
done
exit "$status"
