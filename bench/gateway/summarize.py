"""Summarise bench/gateway/run.sh results (JSON lines) as the markdown tables of docs/benchmarks.md.

Usage: python bench/gateway/summarize.py RESULTS.jsonl [--rounds r1,r2,s1] [--rev abc1234]

Medians over rounds per (upstream latency, streaming, connections, target), then Rungway's ratios
to the floor, to LiteLLM and to the upstream directly, measured in the same rounds, and a check of
each gateway performance target (listed with the results in docs/benchmarks.md). A peer's row names the
pinned version its numbers belong to. Rounds with `rungway_prompt` (run.sh prompt-ab: the same server
called with a prompt reference) add the CPU a reference costs per call: the difference between the two
targets in each round, paired, then the median over rounds.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
from typing import Any

ORDER = [
    "direct",
    "floor",
    "rungway",
    "rungway_prompt",
    "rungway_base",
    "rungway_mid",
    "rungway_wal",
    "litellm",
    "litellm_old_cli",
    "portkey",
]
Agg = dict[tuple[int, int, int, str], dict[str, Any]]


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def load(path: str, rounds: set[str] | None, rev: str | None) -> Agg:
    groups: dict[tuple[int, int, int, str], list[dict[str, Any]]] = collections.defaultdict(list)
    with open(path) as fh:
        for line in fh:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if rounds and r["round"] not in rounds:
                continue
            if rev and r["target"] == "rungway" and r.get("rev") != rev:
                continue
            groups[(r["lat_ms"], r["stream"], r["conns"], r["target"])].append(r)
    agg: Agg = {}
    for k, rs in groups.items():
        ok = [r for r in rs if r["requests"] > 0]
        agg[k] = {
            "n": len(rs),
            "version": next((r["version"] for r in rs if r.get("version")), ""),
            "rps": med([r["rps"] for r in ok]),
            "p50": med([r["p50_ms"] for r in ok]),
            "p99": med([r["p99_ms"] for r in ok]),
            "cpu_ms": med([1000 * r["cpu_s"] / r["requests"] for r in ok]),
            "errors": sum(r["err_status"] + r["err_timeout"] + r["err_read"] + r["err_connect"] for r in rs),
        }
    return agg


def tables(agg: Agg) -> None:
    for lat, stream in sorted({(k[0], k[1]) for k in agg}):
        print(f"\n#### Upstream {lat} ms, {'streaming' if stream else 'non-streaming'}\n")
        print("| conns | target | rounds | req/s | p50 ms | p99 ms | +p50 ms vs direct | server CPU ms/req | errors |")
        print("|---|---|---|---|---|---|---|---|---|")
        conns = sorted({k[2] for k in agg if k[:2] == (lat, stream)})
        for c in conns:
            d = agg.get((lat, stream, c, "direct"))
            for t in ORDER:
                a = agg.get((lat, stream, c, t))
                if a is None:
                    continue
                add = f"{a['p50'] - d['p50']:+.2f}" if d and t != "direct" else ""
                label = f"{t} ({a['version']})" if a["version"] else t
                print(
                    f"| {c} | {label} | {a['n']} | {a['rps']:.0f} | {a['p50']:.2f} | {a['p99']:.2f} | {add} "
                    f"| {a['cpu_ms']:.3f} | {a['errors']} |"
                )
        print("\nRungway's ratios (same rounds):\n")
        print(
            "| conns | rungway/floor req/s | rungway/litellm req/s | rungway/litellm_old_cli req/s "
            "| rungway/portkey req/s | rungway/direct req/s | p99 rungway/floor |"
        )
        print("|---|---|---|---|---|---|---|")
        for c in conns:
            g = {t: agg.get((lat, stream, c, t)) for t in ORDER}
            rw = g["rungway"]
            if rw is None:
                continue
            cells = []
            for t in ("floor", "litellm", "litellm_old_cli", "portkey", "direct"):
                other = g[t]
                cells.append(f"{rw['rps'] / other['rps']:.2f}" if other else "")
            fl = g["floor"]
            cells.append(f"{rw['p99'] / fl['p99']:.2f}" if fl else "")
            print(f"| {c} | " + " | ".join(cells) + " |")


def checks(agg: Agg) -> None:
    def get(lat: int, stream: int, c: int, t: str) -> dict[str, Any] | None:
        return agg.get((lat, stream, c, t))

    rows: list[tuple[str, str, str]] = []

    def ratio(name: str, a: dict[str, Any] | None, b: dict[str, Any] | None, key: str, goal: float) -> None:
        if a and b:
            value = a[key] / b[key]
            rows.append((name, f"{value:.2f}", "yes" if value >= goal else "NO"))

    for c in (16, 64):
        ratio(f"0 ms, {c} conns: req/s >= 1.0x floor", get(0, 0, c, "rungway"), get(0, 0, c, "floor"), "rps", 1.0)
        # against LiteLLM's fastest set-up measured in the same rounds
        fastest = max(
            (a for a in (get(0, 0, c, "litellm"), get(0, 0, c, "litellm_old_cli")) if a),
            key=lambda a: a["rps"],
            default=None,
        )
        ratio(f"0 ms, {c} conns: req/s >= 10x LiteLLM's fastest", get(0, 0, c, "rungway"), fastest, "rps", 10)
    ratio("50 ms, 64 conns: req/s >= 0.85x direct", get(50, 0, 64, "rungway"), get(50, 0, 64, "direct"), "rps", 0.85)
    rw, d = get(0, 0, 1, "rungway"), get(0, 0, 1, "direct")
    if rw and d:
        added = rw["p50"] - d["p50"]
        rows.append(("0 ms, 1 conn: added p50 < 1 ms", f"{added:+.2f} ms", "yes" if added < 1 else "NO"))
    rw, d = get(50, 0, 64, "rungway"), get(50, 0, 64, "direct")
    if rw and d:
        added = rw["p50"] - d["p50"]
        rows.append(("50 ms, 64 conns: added p50 <= 10 ms", f"{added:+.2f} ms", "yes" if added <= 10 else "NO"))
    rw, f = get(50, 0, 64, "rungway"), get(50, 0, 64, "floor")
    if rw and f:
        value = rw["p99"] / f["p99"]
        rows.append(("50 ms, 64 conns: p99 <= 1.3x floor's p99", f"{value:.2f}", "yes" if value <= 1.3 else "NO"))
    ratio("streaming, 16 conns: req/s >= 0.8x floor", get(0, 1, 16, "rungway"), get(0, 1, 16, "floor"), "rps", 0.8)
    if rows:
        print("\n#### Targets\n")
        print("| target | measured | met |\n|---|---|---|")
        for name, value, met in rows:
            print(f"| {name} | {value} | {met} |")


PROMPT_TARGET_US = 30.0  # ../TARGETS.md: prompt rendering by reference < 30 µs of gateway CPU per call


def cpu_us(r: dict[str, Any]) -> float:
    return float(1e6 * r["cpu_s"] / r["requests"])


def prompt_ab(path: str, rounds: set[str] | None) -> None:
    """CPU per call with and without a prompt reference, paired within each round (same server, back to back)."""
    runs: dict[tuple[int, int, int, str], dict[str, dict[str, Any]]] = collections.defaultdict(dict)
    with open(path) as fh:
        for line in fh:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if (rounds and r["round"] not in rounds) or r["target"] not in ("rungway", "rungway_prompt"):
                continue
            if r["requests"] > 0:
                runs[(r["lat_ms"], r["stream"], r["conns"], r["round"])][r["target"]] = r
    pairs: dict[tuple[int, int, int], list[tuple[float, float]]] = collections.defaultdict(list)
    for (lat, stream, conns, _), got in sorted(runs.items()):
        if "rungway" in got and "rungway_prompt" in got:
            pairs[(lat, stream, conns)].append((cpu_us(got["rungway"]), cpu_us(got["rungway_prompt"])))
    if not pairs:
        return
    print("\n#### A prompt reference: gateway CPU per call added (same server, same rounds)\n")
    print("| upstream | conns | rounds | CPU µs/call without | with a reference | added (median of pairs) | < 30 µs |")
    print("|---|---|---|---|---|---|---|")
    for (lat, stream, conns), both in sorted(pairs.items()):
        added = med([b - a for a, b in both])
        print(
            f"| {lat} ms{' streaming' if stream else ''} | {conns} | {len(both)} | {med([a for a, _ in both]):.1f} "
            f"| {med([b for _, b in both]):.1f} | {added:+.1f} | {'yes' if added < PROMPT_TARGET_US else 'NO'} |"
        )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--rounds", help="comma-separated round ids to include (default: all)")
    p.add_argument("--rev", help="only Rungway runs of this revision label (the `rev` field)")
    args = p.parse_args()
    agg = load(args.results, set(args.rounds.split(",")) if args.rounds else None, args.rev)
    tables(agg)
    checks(agg)
    prompt_ab(args.results, set(args.rounds.split(",")) if args.rounds else None)


if __name__ == "__main__":
    main()
