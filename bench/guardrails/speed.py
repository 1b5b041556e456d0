"""All built-in detectors on a 2 kB prompt (ordinary text with a few planted findings): p50/p99 per scan.

Run from a clone: .venv/bin/python bench/guardrails/speed.py [--rounds 5000]
Prints wall and CPU time per scan (in process, one thread) for each detector and for all of them together,
and the load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence

from rungway.guardrails.public import Detector, detector

PARAGRAPH = (
    "Thanks for the quick reply yesterday. We reviewed the proposal with the team and have a few questions about "
    "the rollout plan for the new billing system, version 2.4, scheduled for the 14th. The pilot covers 3 regions "
    "and about 1,200 customers; support hours stay 9 to 5. Could you summarise the risks in five bullet points, "
    "and say which of them need a decision from finance before the end of the quarter? "
)
PLANTED = (
    "You can reach me at maria.garcia@example.es or +34 612 345 678. The test card is 4111 1111 1111 1111 and "
    "the old key AKIAIOSFODNN7EXAMPLE must be rotated. "
)


def prompt() -> str:
    text = PARAGRAPH * 2 + PLANTED + PARAGRAPH * 3
    return text[:2048]


def measure(call: Callable[[str], object], text: str, rounds: int) -> tuple[list[float], float]:
    samples = []
    cpu0 = time.process_time()
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        call(text)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    return samples, (time.process_time() - cpu0) / rounds * 1e6


HOSTILE = {  # 64 kB inputs built to make a careless expression backtrack or a prefilter pass everywhere
    "digits and dashes": "1-",
    "digits and spaces": "1 2 ",
    "at signs": "a@",
    "plus and digits": "+1 ",
    "IBAN-like heads": "DE89 ",
    "key prefixes": "sk-eyJAKIAghp_",
    "one long token": "aB3",
    "URL schemes": " postgres://",
    "injection words": "ignore previous you are now ",
    "colons": "a:",
    "dotted digits": "1.",
}


def hostile(detectors: Sequence[Detector]) -> None:
    print(f"\n{'hostile 64 kB input':32} {'ms (all detectors, median of 5)':>32}")
    for name, unit in HOSTILE.items():
        text = (unit * (65536 // len(unit) + 1))[:65536]
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            for d in detectors:
                d.scan(text)
            runs.append((time.perf_counter() - t0) * 1000)
        print(f"{name:32} {statistics.median(runs):32.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5000)
    args = parser.parse_args()
    text = prompt()
    detectors: dict[str, Detector] = {
        "pii": detector("pii"),
        "secrets": detector("secrets"),
        "injection": detector("injection"),
        "terms (20 terms)": detector("terms", terms=[f"project-{i}" for i in range(19)] + ["acme"]),
        "output (max_chars + canary)": detector("output", max_chars=4000, canary="CANARY-5d1e2f7a"),
    }
    everything = list(detectors.values())

    def all_of_them(t: str) -> None:
        for d in everything:
            d.scan(t)

    for d in everything:  # warm up: compile patterns, load data
        d.scan(text)
    print(f"prompt: {len(text)} characters, {sum(len(d.scan(text)) for d in everything)} findings; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.rounds} rounds")  # fmt: skip
    print(f"{'detector':32} {'p50 us':>8} {'p99 us':>8} {'cpu/scan us':>12}")
    runs: list[tuple[str, Callable[[str], object]]] = [(n, d.scan) for n, d in detectors.items()]
    for name, scan in [*runs, ("all built-ins together", all_of_them)]:
        samples, cpu = measure(scan, text, args.rounds)
        q = statistics.quantiles(samples, n=100)
        print(f"{name:32} {statistics.median(samples):8.1f} {q[98]:8.1f} {cpu:12.1f}")
    hostile(everything)


if __name__ == "__main__":
    main()
