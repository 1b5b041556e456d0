"""CPU per call of the catalogue's lifecycle gate (`CatalogueLifecycle.admit`), in process, paired A/B.

The gate the gateway's planner calls once per call, over the shipped catalogue (99 entries) plus a
configured route: an approved model (no header), a deprecated one (three headers), a floating alias,
a configured public name found through its route's upstream model, and a name outside the catalogue
(not cached, looked up each time). A is the null gate that was there before (`{}` for every name);
each round times A and B on the same mix, alternating, with `time.process_time` (CPU, not wall).

    .venv/bin/python bench/models/catalogue_lookup.py --rounds 7 --calls 200000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Mapping

from rungway.models.catalogue.config import parse_catalogue
from rungway.models.catalogue.lifecycle import CatalogueLifecycle
from rungway.models.catalogue.view import CatalogueView
from rungway.settings.config import ModelRoute

NAMES = [
    "claude-sonnet-4-5-20250929",  # approved: no header
    "claude-3-7-sonnet-20250219",  # deprecated: Deprecation, Sunset, Link
    "gpt-4o",  # a floating alias: its snapshot's answer
    "support-model",  # a configured public name: its route's upstream model
    "my-private-model",  # outside the catalogue: looked up, not cached
]


class NullGate:
    def admit(self, model: str, now: float) -> Mapping[str, str]:
        return {}


def cpu_per_call(admit: Callable[[str, float], Mapping[str, str]], calls: int) -> float:
    names = NAMES * (calls // len(NAMES))
    started = time.process_time()
    for name in names:
        admit(name, 0.0)
    return (time.process_time() - started) / len(names) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()
    routes = {"support-model": ModelRoute("support-model", "sim", "gpt-4o-mini-2024-07-18")}
    gate = CatalogueLifecycle(CatalogueView(parse_catalogue(None)), routes)
    null = NullGate()
    pairs = []
    for _ in range(args.rounds):
        a = cpu_per_call(null.admit, args.calls)
        b = cpu_per_call(gate.admit, args.calls)
        pairs.append((a, b, b - a))
        print(f"round: null {a:.3f} µs, catalogue {b:.3f} µs, added {b - a:+.3f} µs CPU per call")
    added = [p[2] for p in pairs]
    null, catalogue = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    print(
        f"median of {args.rounds} paired rounds of {args.calls:,} calls: null {null:.3f} µs, catalogue "
        f"{catalogue:.3f} µs, added {statistics.median(added):+.3f} µs (pairs {min(added):+.3f} to {max(added):+.3f})"
    )


if __name__ == "__main__":
    main()
