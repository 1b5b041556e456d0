"""CPU per text of the simulator's embeddings (`providers/simulator/embedding.py`) and their similarity.

The simulator answers /v1/embeddings in process, so each text's feature hashing is CPU on the gateway's
event loop in demos and load tests. Prints microseconds per text (best of 7 runs) for a short question and
a 2 kB passage of README.md at several dims, and the cosine of a few paraphrase and unrelated pairs.

    .venv/bin/python bench/simulator/embeddings.py
"""

from __future__ import annotations

import math
import timeit
from pathlib import Path

from rungway.providers.simulator.embedding import embed_text

PAIRS = [
    ("paraphrase", "How do I reset my password?", "how can I reset my password"),
    ("paraphrase", "Cancel my subscription please", "Please cancel my subscription."),
    ("inflected", "Which plans include single sign-on?", "which plan includes single sign on"),
    ("unrelated", "How do I reset my password?", "What is the weather in Paris today?"),
    ("unrelated", "The capital of France is Paris.", "Bananas are yellow."),
]


def microseconds(text: str, dims: int, number: int) -> float:
    return min(timeit.repeat(lambda: embed_text(text, dims, 0), number=number, repeat=7)) / number * 1e6


def main() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    passage = readme[20000:22000]
    print("text            dims   µs/text")
    for label, text, number in (("question 27 B", "How do I reset my password?", 2000), ("README 2 kB", passage, 200)):
        for dims in (64, 1536, 8192):
            print(f"{label:<15} {dims:>5} {microseconds(text, dims, number):>9.0f}")
    print("\npair        cosine at 1536 dims (seed 0)")
    for kind, first, second in PAIRS:
        a, b = embed_text(first, 1536, 0), embed_text(second, 1536, 0)
        print(f"{kind:<11} {math.fsum(x * y for x, y in zip(a, b, strict=True)):6.3f}  {first!r} / {second!r}")


if __name__ == "__main__":
    main()
