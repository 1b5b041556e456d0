"""The benchmark's cases, shared by run_bench.py and floor.py: the question of case i and its two checks."""

from __future__ import annotations

REGEX = r"\w+"
NEVER = "zq-never-said"


def question(i: int) -> str:
    return f"Question number {i}: what is the answer?"
