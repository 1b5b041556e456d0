"""CPU per case of the eval scorers and the comparison statistics, in process.

The eval runner's budget (docs/benchmarks.md, "Evaluation runs") is <= 1 ms of CPU per case with scoring
and result storage on; scoring must be a small part of it. This measures, on 10,000 generated samples
(~400-character answers), the process CPU per case of pairs of deterministic assertions built from specs
through `scorer_from_spec`, scored both directly (`scorer.score`) and the way the runner will
(`await score_case(...)` per case on one event loop); then the similarity scorers with rapidfuzz beside a
pure-Python edit distance and LCS (why rapidfuzz is a dependency); then `compare_runs` on 1,000 paired cases.

    .venv/bin/python bench/evals/scorers_bench.py [--cases 10000] [--rounds 3]

Prints one JSON line per measure: the median of the rounds, in µs of CPU per case (per comparison for stats).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence

from rapidfuzz.distance import LCSseq, Levenshtein

from rungway.evals.scorers import Assertion, JsonValue, Sample, Scorer, score_case, scorer_from_spec
from rungway.evals.scorers.similarity import tokens
from rungway.evals.stats import compare_runs

WORD_TEXT = (
    "the gateway answer token latency cost budget trace span workload evaluation prompt user system tool result "
    "reply context retrieval policy review release stage platform metric signal error retry route cache provider "
    "stream value data record window threshold check evidence team report output"
)
WORDS = WORD_TEXT.split()
SCHEMA: dict[str, JsonValue] = {
    "type": "object",
    "required": ["answer", "confidence"],
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
}
PAIRS: dict[str, tuple[dict[str, JsonValue], dict[str, JsonValue]]] = {
    "icontains-any + regex": (
        {"type": "icontains-any", "value": ["refund", "Cancellation", "invoice"]},
        {"type": "regex", "value": r"\b(order|ticket) #?\d{4,}\b"},
    ),
    "contains + not-icontains": ({"type": "contains", "value": "budget"}, {"type": "not-icontains", "value": "sorry"}),
    "is-json (schema) + contains": ({"type": "is-json", "value": SCHEMA}, {"type": "contains", "value": "answer"}),
    "rouge-l + levenshtein": ({"type": "rouge-l"}, {"type": "levenshtein", "threshold": 40}),
}


def text(rng: random.Random, words: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)) + f". See order #{rng.randint(1000, 99999)}."


def samples(count: int, json_output: bool, seed: int = 7) -> list[Sample]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        answer = text(rng)
        output = json.dumps({"answer": answer, "confidence": round(rng.random(), 2)}) if json_output else answer
        out.append(Sample(output, expected=text(rng), latency_ms=rng.uniform(100, 900), cost_usd=0.0002))
    return out


def cpu_per_case(run: Callable[[], object], cases: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times) / cases * 1e6


def direct(assertions: Sequence[Assertion], batch: Sequence[Sample]) -> Callable[[], None]:
    scorers = [a.scorer for a in assertions]

    def run() -> None:
        for sample in batch:
            for scorer in scorers:
                assert isinstance(scorer, Scorer)
                scorer.score(sample)

    return run


def through_score_case(assertions: Sequence[Assertion], batch: Sequence[Sample]) -> Callable[[], None]:
    async def all_cases() -> None:
        for sample in batch:
            await score_case(assertions, sample)

    return lambda: asyncio.run(all_cases())


def python_levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def python_lcs(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for name, specs in PAIRS.items():
        batch = samples(args.cases, json_output="is-json" in name)
        assertions = [scorer_from_spec(spec, where="bench") for spec in specs]
        for mode, make in (("direct", direct), ("score_case", through_score_case)):
            micros = cpu_per_case(make(assertions, batch), args.cases, args.rounds)
            print(json.dumps({"measure": f"{name} ({mode})", "cases": args.cases, "us_cpu_per_case": round(micros, 2)}))
    small = samples(50, json_output=False)
    edits = [
        ("levenshtein distance, rapidfuzz", lambda: [Levenshtein.distance(s.output, s.expected or "") for s in small]),
        ("levenshtein distance, pure Python", lambda: [python_levenshtein(s.output, s.expected or "") for s in small]),
        (
            "rouge-l LCS, rapidfuzz",
            lambda: [LCSseq.similarity(tokens(s.output), tokens(s.expected or "")) for s in small],
        ),
        ("rouge-l LCS, pure Python", lambda: [python_lcs(tokens(s.output), tokens(s.expected or "")) for s in small]),
    ]
    for name, work in edits:
        micros = cpu_per_case(work, len(small), args.rounds)
        print(json.dumps({"measure": name, "cases": len(small), "us_cpu_per_case": round(micros, 2)}))
    rng = random.Random(3)
    a = [float(rng.random() < 0.8) for _ in range(1000)]
    b = [float(rng.random() < 0.75) for _ in range(1000)]
    a_pass, b_pass = [x == 1.0 for x in a], [x == 1.0 for x in b]
    micros = cpu_per_case(lambda: compare_runs(a, b, a_pass, b_pass), 1, args.rounds)
    print(json.dumps({"measure": "compare_runs, 1000 paired cases, 2000 resamples", "ms_cpu": round(micros / 1e3, 1)}))


if __name__ == "__main__":
    main()
