"""Benchmark: `rungway eval run` against the plain asyncio floor and promptfoo, on the same cases and gateway.

    .venv/bin/python bench/evals/run_bench.py                       # 1,000 cases, + RSS at 10,000
    .venv/bin/python bench/evals/run_bench.py --cases 1000 --rounds 3 --skip-promptfoo

Setting (shared/TARGETS.md, "Evaluation runs"): N cases with two deterministic assertions each (a regex and a
not-contains), the simulator answering after 50 ms, concurrency 32. `rungway serve` runs on core 0; each
runner runs on core 1 alone (`taskset -c 1`), as a fresh process, timed whole (start-up, reading the dataset,
the calls, scoring, storing the results, the summary):

  floor      bench/evals/floor.py: the same calls with httpx and the same two checks inline, nothing stored
  rungway    `rungway eval run --no-cache` (dataset paged from the server, results streamed to its store)
  promptfoo  `promptfoo eval` 0.121.20 from npm (installed once into bench/evals/.node) on the same cases
             (vars -> the same user message, `regex` and `not-contains`), against the same gateway

For each: wall time, CPU per case (user + system of the process tree), peak RSS, and start-up (`--help`).
The ideal is N x 50 ms / 32. RSS of `rungway eval run` is measured again at --big cases (default 10,000).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_cases import NEVER, REGEX, question

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RUNGWAY = str(ROOT / ".venv" / "bin" / "rungway")
NODE_DIR = ROOT / "bench" / "evals" / ".node"
PROMPTFOO = "promptfoo@0.121.20"
ADMIN = "bench-admin"

CONFIG = """
server: {{admin_key: bench-admin}}
store: {{url: "sqlite:///{db}"}}
providers:
  sim: {{type: simulator, latency_ms: {latency_ms}}}
models:
  gpt-4o-mini: {{provider: sim, model: gpt-4o-mini-2024-07-18}}
workloads:
  bench: {{team: perf}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(base: str, method: str, path: str, body: Any = None, key: str = ADMIN) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def wait_ready(base: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not start")


def create_dataset(config: Path, name: str, count: int) -> None:
    """The cases as JSONL, imported straight into the server's store (`rungway datasets import`)."""
    asserts = [{"type": "regex", "value": REGEX}, {"type": "not-contains", "value": NEVER}]
    path = config.parent / f"{name}.jsonl"
    with path.open("w") as out:
        for i in range(count):
            case = {"key": f"c{i:06d}", "messages": [{"role": "user", "content": question(i)}], "assert": asserts}
            out.write(json.dumps(case) + "\n")
    subprocess.run([RUNGWAY, "datasets", "import", str(path), "--name", name, "-w", "bench", "--config", str(config)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip


def measured(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Wall time, CPU (user + system, the whole process tree) and peak RSS of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        sys.stderr.write(out.decode(errors="replace")[-3000:])
        raise SystemExit(f"{cmd[:4]} exited with {status}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def startup(cmd: list[str], env: dict[str, str], cwd: Path, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def promptfoo_files(work: Path, base: str, secret: str, count: int) -> Path:
    asserts = [{"type": "regex", "value": REGEX}, {"type": "not-contains", "value": NEVER}]
    tests = [{"vars": {"question": question(i)}, "assert": asserts} for i in range(count)]
    config = {
        "description": "rungway bench",
        "prompts": ["{{question}}"],
        "providers": [{"id": "openai:chat:gpt-4o-mini", "config": {"apiBaseUrl": base + "/v1", "apiKey": secret}}],
        "tests": tests,
    }
    path = work / "promptfooconfig.json"
    path.write_text(json.dumps(config))
    return path


def ensure_promptfoo() -> Path:
    binary = NODE_DIR / "node_modules" / ".bin" / "promptfoo"
    if not binary.exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", PROMPTFOO], cwd=NODE_DIR, check=True)
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10_000, help="cases of the RSS check (0: skip)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--skip-promptfoo", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rungway-eval-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = work / "rungway.yaml"
    config.write_text(CONFIG.format(db=work / "rungway.db", latency_ms=args.latency_ms))
    log = (work / "server.log").open("w")
    server = subprocess.Popen(
        ["taskset", "-c", "0", PYTHON, "-m", "rungway", "serve", "--config", str(config), "--port", str(port),
         "--log-level", "warning"], stdout=log, stderr=log,
    )  # fmt: skip
    results: dict[str, list[dict[str, float]]] = {}
    try:
        wait_ready(base)
        secret = api(base, "POST", "/api/keys", {"workload": "bench", "name": "bench"})["secret"]
        create_dataset(config, "bench", args.cases)
        env = {**os.environ, "CI": "true", "RUNGWAY_URL": base, "RUNGWAY_API_KEY": secret,
               "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1",
               "PROMPTFOO_CONFIG_DIR": str(work / "promptfoo-home")}  # fmt: skip
        one_core = ["taskset", "-c", "1"]
        rungway = [*one_core, RUNGWAY, "eval", "run", "--workload", "bench", "--model", "gpt-4o-mini", "--no-cache",
                   "--concurrency", str(args.concurrency)]  # fmt: skip
        floor = [*one_core, PYTHON, str(ROOT / "bench" / "evals" / "floor.py"), "--url", base, "--key", secret,
                 "--cases", str(args.cases), "--concurrency", str(args.concurrency)]  # fmt: skip
        commands = {"floor": floor, "rungway": [*rungway, "--dataset", "bench"]}
        starts = {"rungway": startup([RUNGWAY, "eval", "run", "--help"], env, work)}
        if not args.skip_promptfoo:
            binary = ensure_promptfoo()
            pf_config = promptfoo_files(work, base, secret, args.cases)
            commands["promptfoo"] = [*one_core, str(binary), "eval", "-c", str(pf_config), "--no-cache",
                                     "--max-concurrency", str(args.concurrency), "--no-progress-bar",
                                     "-o", str(work / "promptfoo-out.json")]  # fmt: skip
            starts["promptfoo"] = startup([str(binary), "--version"], env, work)
        for _ in range(args.rounds):
            for name, cmd in commands.items():  # interleaved, so a noisy moment hits all alike
                results.setdefault(name, []).append(measured(cmd, env, work))
        big = None
        if args.big:
            create_dataset(config, "bench-big", args.big)
            big = measured([*rungway, "--dataset", "bench-big"], env, work)
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    ideal = args.cases * args.latency_ms / 1000 / args.concurrency
    floor_wall = statistics.median(r["wall_s"] for r in results["floor"])
    print(f"\n{args.cases} cases, 2 assertions each, {args.latency_ms} ms upstream, concurrency {args.concurrency}, "
          f"runner on one core; ideal {ideal:.2f} s; medians of {args.rounds} rounds")  # fmt: skip
    for name, runs in results.items():
        wall = statistics.median(r["wall_s"] for r in runs)
        cpu_ms = 1000 * statistics.median(r["cpu_s"] for r in runs) / args.cases
        rss = max(r["rss_mb"] for r in runs)
        start = f", start-up {starts[name]:.2f} s" if name in starts else ""
        print(f"  {name:<10} {wall:6.2f} s ({wall / ideal:4.1f}x ideal, {wall / floor_wall:4.2f}x floor)  "
              f"CPU {cpu_ms:5.2f} ms/case  peak RSS {rss:6.1f} MB{start}")  # fmt: skip
    if big is not None:
        cpu_big = 1000 * big["cpu_s"] / args.big
        print(f"  rungway at {args.big} cases: {big['wall_s']:.2f} s, CPU {cpu_big:.2f} ms/case, "
              f"peak RSS {big['rss_mb']:.1f} MB")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
