"""Medians of a trace-ingest run (bench/tracing/run.py results): one line per system and mode.

    .venv/bin/python bench/tracing/summarize.py bench/tracing/results/run-YYYYMMDD-HHMMSS.jsonl

Rounds of a system pool together (its label before '/': `rungway-sqlite/r0` -> `rungway-sqlite`); warm-up
runs are left out. A peer's line names its pinned version.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from typing import Any

THROUGHPUT = (
    "end_to_end_spans_per_s",
    "accepted_spans_per_s",
    "spans_per_server_cpu_s",
    "lag_after_last_accept_s",
    "post_p50_ms",
)
FRESHNESS = (
    "visible_after_response_ms_p50",
    "p90",
    "visible_after_request_start_ms_p50",
    "request_start_p90",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("results")
    args = parser.parse_args()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    with open(args.results) as lines:
        for line in lines:
            result = json.loads(line)
            system = result.get("target", "").split("/")[0]
            if system and system != "warmup":
                groups[(system, result["mode"])].append(result)
    for (system, mode), results in sorted(groups.items()):
        keys = THROUGHPUT if mode == "throughput" else FRESHNESS
        medians = []
        for key in keys:
            values = [result[key] for result in results if result.get(key) is not None]
            medians.append(f"{key}={round(statistics.median(values), 1) if values else None}")
        version = next((result["version"] for result in results if result.get("version")), "")
        label = f"{system} ({version})" if version else system
        print(f"{label:24s} {mode:10s} n={len(results)} spans={results[0].get('spans')} " + " ".join(medians))


if __name__ == "__main__":
    main()
