"""Trace-ingest benchmark: Rungway (SQLite and PostgreSQL) beside Arize Phoenix and the reference sink.

Same run, same load: bench/harness/otlp_load.py sends realistic ~1.7 KB LLM spans
(OTLP/HTTP protobuf, 512 per POST, 4 connections) from core 0 to a server pinned to core 1, then
polls until every span is queryable — for Rungway through its own management API
(`GET /api/traces/stats`), for Phoenix through its SQLite database, for the reference receiver
(bench/harness/ref_receiver.py) through its /count. `latency` mode then sends one trace at a time and
measures response -> queryable.

    bench/tracing/run.sh setup     # Phoenix (pinned, from PyPI) into $VENVS (default /tmp/venvs)
    bench/tracing/run.sh [--rounds 3] [--spans 20000] [--phoenix-spans 5000] [--no-phoenix]

The load and the reference receiver run on the project's .venv. Results: one JSON line per measurement
in bench/tracing/results/*.jsonl, medians printed by bench/tracing/summarize.py.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "bench" / "harness"
PHOENIX = ROOT / "bench" / "tracing" / "phoenix.sh"
WORK = Path(os.environ.get("WORK", "/tmp/tracebench"))
LOAD_PY = str(ROOT / ".venv" / "bin" / "python")
ADMIN = "bench-admin-" + secrets.token_hex(4)
PORT = 9240
POSTGRES = os.environ.get("RUNGWAY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

CONFIG = """
server: {{admin_key: {admin}, port: {port}}}
store: {{url: "{url}"}}
providers: {{sim: {{type: simulator}}}}
models: {{gpt-4o-mini: {{provider: sim}}}}
workloads: {{bench: {{}}}}
tracing: {{purge_interval_s: 0}}
"""


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"timeout waiting for {url}")


def load(out: Path, *args: str) -> None:
    cmd = ["taskset", "-c", "0", LOAD_PY, str(HARNESS / "otlp_load.py"), "--out", str(out), *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    print("   ", result.stdout.strip()[:400] or result.stderr.strip()[-800:], flush=True)


def rungway_store(kind: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        db = WORK / "rungway.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{db}", None
    import sqlalchemy as sa

    schema = "bench_" + secrets.token_hex(4)
    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str | None) -> None:
    if schema is None:
        return
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


def run_rungway(kind: str, out: Path, rnd: str, spans: int) -> None:
    from rungway.capability import migration_packages
    from rungway.services.keys import create_api_key
    from rungway.store.engine import create_store_engine
    from rungway.store.migrate import upgrade

    url, schema = rungway_store(kind)
    config = WORK / f"rungway-{kind}.yaml"
    config.write_text(CONFIG.format(admin=ADMIN, port=PORT, url=url))
    engine = create_store_engine(url)
    upgrade(engine, migration_packages())
    secret = create_api_key(engine, workload="bench").secret
    engine.dispose()
    server = subprocess.Popen(
        ["taskset", "-c", "1", str(ROOT / ".venv" / "bin" / "rungway"), "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(WORK / f"rungway-{kind}.log", "w"),  # noqa: SIM115 - closed with the process
    )
    try:
        wait_http(f"http://127.0.0.1:{PORT}/healthz")
        common = [
            "--url", f"http://127.0.0.1:{PORT}/v1/traces", "--header", f"Authorization:Bearer {secret}",
            "--count", f"http-json:http://127.0.0.1:{PORT}/api/traces/stats?workload=bench#spans",
            "--count-header", f"Authorization:Bearer {ADMIN}",
        ]  # fmt: skip
        load(out, *common, "--spans", "500", "--target", "warmup")
        load(out, *common, "--spans", str(spans), "--target", f"rungway-{kind}/{rnd}", "--server-pid", str(server.pid))
        load(out, *common, "--mode", "latency", "--samples", "30", "--latency-poll", "0.005",
             "--target", f"rungway-{kind}/{rnd}")  # fmt: skip
    finally:
        server.terminate()
        server.wait(60)
        drop_schema(schema)


def run_ref(out: Path, rnd: str, spans: int) -> None:
    sink = subprocess.Popen(
        ["taskset", "-c", "1", LOAD_PY, str(HARNESS / "ref_receiver.py"), "--port", "9212",
         "--db", str(WORK / "ref-sqlite.db")]
    )  # fmt: skip
    try:
        wait_http("http://127.0.0.1:9212/count")
        count = "http-json:http://127.0.0.1:9212/count#spans"
        load(out, "--url", "http://127.0.0.1:9212/v1/traces", "--count", count, "--spans", str(spans),
             "--target", f"ref-sqlite/{rnd}", "--server-pid", str(sink.pid))  # fmt: skip
    finally:
        sink.terminate()
        sink.wait(30)


def run_phoenix(out: Path, rnd: str, spans: int) -> None:
    env = {**os.environ, "WORK": str(WORK)}
    subprocess.run(["bash", str(PHOENIX), "start"], check=True, env=env)
    version = subprocess.run(["bash", str(PHOENIX), "version"], capture_output=True, text=True, check=True).stdout
    try:
        db = WORK / "phoenix" / "phoenix.db"
        sql = (
            "select count(*) from spans s join traces t on s.trace_rowid=t.id "
            "join projects p on t.project_rowid=p.id where p.name='{project}'"
        )
        pid = (WORK / "phoenix.pid").read_text().strip()
        args = ["--url", "http://127.0.0.1:9201/v1/traces", "--header", "x-project-name:{project}",
                "--peer-version", version.strip(),
                "--count", f"sqlite:{db}#{sql}"]  # fmt: skip
        load(out, *args, "--spans", "500", "--target", "warmup", "--settle-timeout", "60")
        load(out, *args, "--spans", str(spans), "--target", f"phoenix/{rnd}", "--server-pid", pid,
             "--max-seconds", "150", "--settle-timeout", "200")  # fmt: skip
        load(out, *args, "--mode", "latency", "--samples", "30", "--target", f"phoenix/{rnd}")
    finally:
        subprocess.run(["bash", str(PHOENIX), "stop"], env=env, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--phoenix-spans", type=int, default=5_000)
    parser.add_argument("--no-phoenix", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    out = ROOT / "bench" / "tracing" / "results" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    for index in range(args.rounds):
        rnd = f"r{index}"
        print(f"round {index + 1}/{args.rounds}", flush=True)
        run_ref(out, rnd, args.spans)
        for kind in args.stores.split(","):
            print(f"  rungway on {kind}", flush=True)
            run_rungway(kind, out, rnd, args.spans)
        if not args.no_phoenix and index == 0:
            print("  phoenix", flush=True)
            run_phoenix(out, rnd, args.phoenix_spans)
    print(f"results: {out}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "tracing" / "summarize.py"), str(out)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
