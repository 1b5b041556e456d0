"""Budgets: Redis vs in-process. Gateway p50 with budgets and rate limits on each counters backend.

Usage (from the project root; needs wrk, Redis at 127.0.0.1:6379):
    .venv/bin/python bench/budgets_overhead.py [--rounds 3] [--seconds 10] [--connections 64]

Per round and variant it starts `rungway serve` pinned to core 1 (`taskset -c 1`), with the mock
upstream (../shared/bench/mock_openai.py) and wrk pinned to core 0, warms up 2 s, then runs wrk
for `--seconds`. Variants: `off` (no budgets, no limits), `memory` and `redis` (both with a key
RPM+TPM limit, a workload RPM+TPM limit and three budgets covering every call: workload, team, key).
Prints one JSON line per run and a summary of medians.
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
SHARED = ROOT.parent / "shared" / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")

CONFIG = """
server: {{admin_key: bench-admin}}
store: {{url: "sqlite:///{db}"}}
counters:
{counters}
providers:
  mock: {{type: openai, base_url: "http://127.0.0.1:{upstream}/v1", api_key: sk-mock}}
models:
  mock-model: {{provider: mock, model: mock-model, price: {{input: 0.15, output: 0.60}}}}
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


def prepare(variant: str, workdir: Path, upstream: int) -> tuple[Path, str]:
    """Write the config, create the key (and budgets); returns (config path, key secret)."""
    sys.path.insert(0, str(ROOT / "src"))
    from rungway.services.budgets import BudgetRequest, set_budget
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
    config.write_text(CONFIG.format(db=db, counters=counters, upstream=upstream, limits=limits))
    engine = create_store_engine(f"sqlite:///{db}")
    upgrade(engine)
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


def run_wrk(port: int, secret: str, seconds: int, connections: int) -> dict[str, float]:
    env = {**os.environ, "GW_KEY": secret, "GW_MODEL": "mock-model"}
    cmd = ["taskset", "-c", "0", "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-s", str(SHARED / "gateway" / "chat.lua"), f"http://127.0.0.1:{port}"]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"WRKJSON (\{.*\})", out)
    if match is None:
        raise RuntimeError(out)
    return dict(json.loads(match.group(1)))


def measure(variant: str, workdir: Path, upstream: int, args: argparse.Namespace) -> dict[str, float]:
    config, secret = prepare(variant, workdir, upstream)
    port = free_port()
    log = (workdir / f"{variant}.log").open("w")
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            "1",
            PYTHON,
            "-m",
            "rungway",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=log,
    )
    try:
        wait_port(port)
        run_wrk(port, secret, 2, args.connections)
        result = run_wrk(port, secret, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    result["variant"] = variant  # type: ignore[assignment]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--variants", default="off,memory,redis")
    args = parser.parse_args()
    upstream_port = free_port()
    upstream = subprocess.Popen(
        ["taskset", "-c", "0", PYTHON, str(SHARED / "mock_openai.py"), "--port", str(upstream_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, list[dict[str, float]]] = {}
    try:
        wait_port(upstream_port)
        with tempfile.TemporaryDirectory() as tmp:
            for round_no in range(args.rounds):
                workdir = Path(tmp) / f"r{round_no}"
                workdir.mkdir()
                for variant in args.variants.split(","):
                    result = measure(variant, workdir, upstream_port, args)
                    print(json.dumps(result), flush=True)
                    results.setdefault(variant, []).append(result)
    finally:
        upstream.terminate()
        upstream.wait(30)
    print(f"\nmedians over {args.rounds} rounds, {args.connections} connections, {args.seconds} s each:")
    medians = {}
    for variant, runs in results.items():
        medians[variant] = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}
        errors = sum(r["err_status"] + r["err_timeout"] for r in runs)
        m = medians[variant]
        print(
            f"  {variant:7s} {m['rps']:8.0f} req/s  p50 {m['p50_ms']:.2f} ms  p99 {m['p99_ms']:.2f} ms  errors {errors}"
        )
    if "memory" in medians and "redis" in medians:
        print(f"  redis - memory p50: {medians['redis']['p50_ms'] - medians['memory']['p50_ms']:+.2f} ms")


if __name__ == "__main__":
    main()
