"""The semantic cache's lookup cost at 100k entries per namespace, beside a numpy brute-force search.

For each dimension count (384, a MiniLM-sized embedding, and 1536, OpenAI's text-embedding-3-small) a few
namespaces are filled with random unit vectors through `rungway.caching.vectors.NamespacedVectors.add`, one
call per entry as the cache adds them. Then the same queries go to both engines, round robin over the namespaces:
half are a stored vector plus noise (cosine ~0.9 to it: a paraphrase the cache should serve), half are random
(a miss). Reported per engine:
  * add/s: entries added per second, one `add` call each (the brute force's is a row copy, not shown);
  * memory: the process RSS growth while the index was filled (the brute force's: its float32 matrices);
  * search p50/p99 in µs: one `search(k=4)` call (the brute force: one matrix-vector product and a top-4);
  * hit recall: the share of near-duplicate queries whose best neighbour is the vector they were made from;
  * top-1 agreement: the share of all queries whose best neighbour is the brute force's (HNSW is approximate).

    .venv/bin/python bench/cache/semantic_lookup.py [--entries 100000] [--namespaces 3] [--dims 384 1536]

Runs from a clone with the project's venv alone (usearch and numpy are Rungway dependencies). Linux only for the
memory column (it reads /proc/self/status).
"""

from __future__ import annotations

import os

# One BLAS thread: the gateway searches from one event-loop thread, and idle OpenBLAS threads spin on the
# other core, slowing whatever runs next. Set before numpy loads its BLAS.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "1")
os.environ["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "1")

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rungway.caching.vectors import NamespacedVectors

K = 4
Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class EngineResult:
    """One engine's numbers at one dimension count."""

    dims: int
    engine: str
    adds_per_s: float | None
    memory_mb: float
    p50_us: float
    p99_us: float
    hit_recall: float
    top1_agreement: float


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def unit_rows(rng: np.random.Generator, n: int, dims: int) -> Matrix:
    rows = rng.standard_normal((n, dims), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def make_queries(rng: np.random.Generator, data: list[Matrix], count: int) -> list[tuple[int, Matrix, int]]:
    """(namespace, query, source row or -1): near duplicates (cosine ~0.9 to their source) and random misses."""
    dims = data[0].shape[1]
    out = []
    for i in range(count):
        ns = i % len(data)
        if i % 2 == 0:
            source = int(rng.integers(len(data[ns])))
            noise = unit_rows(rng, 1, dims)[0]
            query = 0.9 * data[ns][source] + np.sqrt(1 - 0.81) * noise
            out.append((ns, query.astype(np.float32), source))
        else:
            out.append((ns, unit_rows(rng, 1, dims)[0], -1))
    return out


def brute_force(matrix: Matrix, query: Matrix) -> npt.NDArray[np.intp]:
    """The top K rows of unit-row `matrix` by cosine to `query`, best first."""
    scores = matrix @ (query / np.linalg.norm(query))
    top = np.argpartition(-scores, K)[:K]
    return top[np.argsort(-scores[top])]


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def run_dims(dims: int, entries: int, namespaces: int, queries: int, seed: int) -> list[EngineResult]:
    rng = np.random.default_rng(seed)
    data = [unit_rows(rng, entries, dims) for _ in range(namespaces)]
    names = [f"tenant-{i}/workload" for i in range(namespaces)]
    index = NamespacedVectors(max_entries_per_namespace=entries)
    before = rss_mb()
    t0 = time.perf_counter()
    for name, rows in zip(names, data, strict=True):
        for key, row in enumerate(rows):
            index.add(name, key, row)
    adds_per_s = entries * namespaces / (time.perf_counter() - t0)
    index_mb = rss_mb() - before
    asked = make_queries(rng, data, queries)
    for ns, query, _ in asked[:50]:  # warm the caches of both engines
        index.search(names[ns], query, k=K)
        brute_force(data[ns], query)

    hnsw_us, brute_us, hnsw_best, brute_best = [], [], [], []
    for ns, query, _ in asked:
        t = time.perf_counter_ns()
        found = index.search(names[ns], query, k=K)
        hnsw_us.append((time.perf_counter_ns() - t) / 1000)
        hnsw_best.append(found[0].key if found else -2)
    for ns, query, _ in asked:
        t = time.perf_counter_ns()
        exact = brute_force(data[ns], query)
        brute_us.append((time.perf_counter_ns() - t) / 1000)
        brute_best.append(int(exact[0]))
    sources = [source for _, _, source in asked]
    near = sum(source >= 0 for source in sources)
    agree = sum(h == b for h, b in zip(hnsw_best, brute_best, strict=True))
    matrices_mb = sum(m.nbytes for m in data) / 2**20
    return [
        EngineResult(dims, "usearch HNSW (NamespacedVectors)", adds_per_s, index_mb, percentile(hnsw_us, 50),
                     percentile(hnsw_us, 99), _hit_recall(hnsw_best, sources) / near, agree / len(asked)),
        EngineResult(dims, "numpy brute force", None, matrices_mb, percentile(brute_us, 50),
                     percentile(brute_us, 99), _hit_recall(brute_best, sources) / near, 1.0),
    ]  # fmt: skip


def _hit_recall(best: list[int], sources: list[int]) -> int:
    return sum(b == s for b, s in zip(best, sources, strict=True) if s >= 0)


def table(results: list[EngineResult], entries: int, namespaces: int) -> str:
    lines = [
        "| dims | engine | entries | add/s | memory (MB) | search p50 (µs) | search p99 (µs) | hit recall "
        "| top-1 = brute force |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        adds = f"{r.adds_per_s:,.0f}" if r.adds_per_s is not None else "-"
        lines.append(
            f"| {r.dims} | {r.engine} | {namespaces} x {entries:,} | {adds} | {r.memory_mb:,.0f} | "
            f"{r.p50_us:,.0f} | {r.p99_us:,.0f} | {r.hit_recall:.3f} | {r.top1_agreement:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000, help="entries per namespace")
    parser.add_argument("--namespaces", type=int, default=3)
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 1536])
    parser.add_argument("--queries", type=int, default=2000, help="queries per dimension count")
    parser.add_argument("--seed", type=int, default=25)
    args = parser.parse_args()
    results = []
    for dims in args.dims:
        results += run_dims(dims, args.entries, args.namespaces, args.queries, args.seed)
        print(f"dims {dims} done", flush=True)
    print(table(results, args.entries, args.namespaces))


if __name__ == "__main__":
    main()
