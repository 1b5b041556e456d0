"""Budgets: Redis vs in-process. Gateway latency with budgets and rate limits on each counters backend.

Usage (from the project root; needs wrk, Redis at 127.0.0.1:6379; run under `flock /tmp/bench.lock`):
    .venv/bin/python bench/budgets_overhead.py [--rounds 3] [--seconds 5] [--settings 64c-0ms,64c-50ms,1c-0ms]
        [--variants off,memory,redis] [--src PATH] [--out results.jsonl]

Two mock upstreams (bench/harness/mock_upstream.py, one answering at once, one after 50 ms) and wrk
run on core 0; `rungway serve` runs on core 1 (`taskset`). Per round, the variants are interleaved:
each variant gets a fresh server (own SQLite store, own key), which is measured in every setting in
turn (2 s warm-up, then `--seconds` of wrk). Settings: `<connections>c-<upstream latency>ms`.
Variants: `off` (no budgets, no limits), `memory` and `redis` (both with a key RPM+TPM limit, a
workload RPM+TPM limit and three budgets covering every call: workload, team, key; never reached).
Prints one JSON line per run (with the CPU per request of the server and of the local redis-server,
from /proc) and a summary of medians.
`--src` runs another checkout's `src` (e.g. a `git worktree` of an earlier commit) for a before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "bench" / "harness"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TICKS = os.sysconf("SC_CLK_TCK")

CONFIG = """
server: {{admin_key: bench-admin}}
store: {{url: "sqlite:///{db}"}}
counters:
{counters}
providers:
  mock0: {{type: openai, base_url: "http://127.0.0.1:{upstream0}/v1", api_key: sk-mock}}
  mock50: {{type: openai, base_url: "http://127.0.0.1:{upstream50}/v1", api_key: sk-mock}}
models:
  mock-model: {{provider: mock0, model: mock-model, price: {{input: 0.15, output: 0.60}}}}
  mock-model-50: {{provider: mock50, model: mock-model, price: {{input: 0.15, output: 0.60}}}}
workloads:
  bench: {{team: perf{limits}}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def prepare(variant: str, workdir: Path, upstreams: tuple[int, int]) -> tuple[Path, str]:
    """Write the config, create the key (and budgets); returns (config path, key secret)."""
    sys.path.insert(0, str(ROOT / "src"))
    from rungway.budgets.service import BudgetRequest, set_budget
    from rungway.capability import migration_packages
    from rungway.services.keys import create_api_key
    from rungway.store.engine import create_store_engine
    from rungway.store.migrate import upgrade

    db = workdir / f"{variant}.db"
    if variant == "redis":
        counters = (
            f"  backend: redis\n  redis_url: redis://127.0.0.1:6379/0\n  key_prefix: 'bench:{secrets.token_hex(4)}:'"
        )
    else:
        counters = "  backend: memory"
    limits = ", rpm: 1000000000, tpm: 1000000000000" if variant != "off" else ""
    config = workdir / f"{variant}.yaml"
    text = CONFIG.format(db=db, counters=counters, upstream0=upstreams[0], upstream50=upstreams[1], limits=limits)
    config.write_text(text)
    engine = create_store_engine(f"sqlite:///{db}")
    upgrade(engine, migration_packages())
    rpm = 10**9 if variant != "off" else None
    tpm = 10**12 if variant != "off" else None
    key = create_api_key(engine, workload="bench", rpm_limit=rpm, tpm_limit=tpm)
    if variant != "off":
        for name, scope, extra in (
            ("bench-workload", "workload", {"workload": "bench"}),
            ("bench-team", "team", {"team": "perf"}),
            ("bench-key", "key", {"key_id": key.key.id}),
        ):
            set_budget(engine, BudgetRequest(name=name, scope=scope, amount_usd="1000000", **extra))  # type: ignore[arg-type]
    engine.dispose()
    return config, key.secret


def parse_setting(setting: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)c-(0|50)ms", setting)
    if match is None:
        raise SystemExit(f"--settings: {setting!r} is not <connections>c-<0|50>ms, e.g. 64c-50ms")
    return int(match.group(1)), int(match.group(2))


def run_wrk(port: int, secret: str, seconds: int, connections: int, latency_ms: int) -> dict[str, float]:
    model = "mock-model-50" if latency_ms else "mock-model"
    env = {**os.environ, "GW_KEY": secret, "GW_MODEL": model}
    cmd = ["taskset", "-c", "0", "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-s", str(HARNESS / "chat.lua"), f"http://127.0.0.1:{port}"]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"WRKJSON (\{.*\})", out)
    if match is None:
        raise RuntimeError(out)
    return dict(json.loads(match.group(1)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def redis_pid() -> int | None:
    """The local redis-server's pid (its CPU per request is reported too: it shares the machine's cores)."""
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "redis-server":
                return int(proc.name)
        except OSError:
            continue
    return None


def measure(variant: str, workdir: Path, upstreams: tuple[int, int], args: argparse.Namespace) -> list[dict]:
    """One server for this variant, measured in every setting; one result per setting."""
    config, secret = prepare(variant, workdir, upstreams)
    port = free_port()
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    log = (workdir / f"{variant}.log").open("w")
    cmd = ["taskset", "-c", "1", PYTHON, "-m", "rungway", "serve", "--config", str(config), "--port", str(port),
           "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=log, stderr=log, env=env)
    results = []
    try:
        wait_port(port)
        for setting in args.settings.split(","):
            connections, latency_ms = parse_setting(setting)
            run_wrk(port, secret, 2, connections, latency_ms)
            redis = redis_pid()
            cpu0, redis0 = cpu_seconds(server.pid), cpu_seconds(redis) if redis else 0.0
            result: dict = run_wrk(port, secret, args.seconds, connections, latency_ms)
            cpu = cpu_seconds(server.pid) - cpu0
            redis_cpu = cpu_seconds(redis) - redis0 if redis else 0.0
            requests = max(1, result["requests"])
            result.update(variant=variant, setting=setting, cpu_ms_per_req=1000 * cpu / requests,
                          redis_cpu_ms_per_req=1000 * redis_cpu / requests)  # fmt: skip
            results.append(result)
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    return results


def start_upstream(latency_ms: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = ["taskset", "-c", "0", PYTHON, str(HARNESS / "mock_upstream.py"), "--port", str(port),
           "--latency-ms", str(latency_ms)]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port


def summarize(results: list[dict], rounds: int, seconds: int) -> None:
    print(f"\nmedians over {rounds} rounds, {seconds} s each (p50/p99 from wrk, CPU = server CPU per request):")
    settings = list(dict.fromkeys(r["setting"] for r in results))
    for setting in settings:
        print(f"  {setting}:")
        medians: dict[str, dict[str, float]] = {}
        for variant in dict.fromkeys(r["variant"] for r in results):
            runs = [r for r in results if r["setting"] == setting and r["variant"] == variant]
            keys = ("rps", "p50_ms", "p99_ms", "cpu_ms_per_req", "redis_cpu_ms_per_req")
            m = medians[variant] = {k: statistics.median(r[k] for r in runs) for k in keys}
            errors = sum(r["err_status"] + r["err_timeout"] for r in runs)
            p50s = ", ".join(f"{r['p50_ms']:.2f}" for r in runs)
            print(f"    {variant:7s} {m['rps']:7.0f} req/s  p50 {m['p50_ms']:7.2f} ms  p99 {m['p99_ms']:7.2f} ms  "
                  f"CPU {m['cpu_ms_per_req']:.3f} ms/req  redis-server CPU {m['redis_cpu_ms_per_req']:.3f} ms/req  "
                  f"errors {errors}  (p50 per round: {p50s})")  # fmt: skip
        if "memory" in medians and "redis" in medians:
            paired = [
                r["p50_ms"] - m["p50_ms"]
                for r in results
                for m in results
                if r["setting"] == m["setting"] == setting and r["variant"] == "redis" and m["variant"] == "memory"
                and r["round"] == m["round"]
            ]  # fmt: skip
            delta = medians["redis"]["p50_ms"] - medians["memory"]["p50_ms"]
            per_round = ", ".join(f"{d:+.2f}" for d in paired)
            print(f"    redis - memory p50: {delta:+.2f} ms (per round: {per_round})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--settings", default="64c-0ms,64c-50ms,1c-0ms")
    parser.add_argument("--variants", default="off,memory,redis")
    parser.add_argument("--src", default="", help="PYTHONPATH for the server (another checkout's src)")
    parser.add_argument("--out", default="", help="also append the JSON lines to this file")
    args = parser.parse_args()
    for setting in args.settings.split(","):
        parse_setting(setting)
    (up0, port0), (up50, port50) = start_upstream(0), start_upstream(50)
    results: list[dict] = []
    out = Path(args.out).open("a") if args.out else None  # noqa: SIM115 - closed in the finally below
    try:
        wait_port(port0)
        wait_port(port50)
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(args.rounds):
                workdir = Path(tmp) / f"r{round_no}"
                workdir.mkdir()
                for variant in args.variants.split(","):
                    for result in measure(variant, workdir, (port0, port50), args):
                        result["round"] = round_no
                        line = json.dumps(result)
                        print(line, flush=True)
                        if out is not None:
                            out.write(line + "\n")
                        results.append(result)
    finally:
        for upstream in (up0, up50):
            upstream.terminate()
            upstream.wait(30)
        if out is not None:
            out.close()
    summarize(results, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
