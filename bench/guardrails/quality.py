"""Precision and recall of the built-in detectors on the labelled corpora shipped with the tests.

Run from a clone: .venv/bin/python bench/guardrails/quality.py
Prints one Markdown table (per detector and per rule) for docs/benchmarks.md and docs/guardrails.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.guardrails.corpus_quality import CORPUS, measure  # noqa: E402

from rungway.guardrails.public import detector  # noqa: E402


def main() -> None:
    print("| detector / rule | items | TP | FP | FN | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("pii", "secrets"):
        q = measure(detector(name), name)
        tp, fp, fn = sum(q.tp.values()), sum(q.fp.values()), sum(q.fn.values())
        print(f"| **{name}** | {q.items} | {tp} | {fp} | {fn} | {q.precision():.3f} | {q.recall():.3f} |")
        for rule in q.rules():
            print(f"| {rule} | | {q.tp[rule]} | {q.fp[rule]} | {q.fn[rule]} | {q.precision(rule):.3f} | "
                  f"{q.recall(rule):.3f} |")  # fmt: skip
    scanner = detector("injection")
    cases = [json.loads(line) for line in (CORPUS / "injection.jsonl").read_text().splitlines()]
    tp = sum(1 for c in cases if c["attack"] and scanner.scan(c["text"]))
    fp = sum(1 for c in cases if not c["attack"] and scanner.scan(c["text"]))
    fn = sum(1 for c in cases if c["attack"]) - tp
    print(f"| **injection** (per text) | {len(cases)} | {tp} | {fp} | {fn} | {tp / (tp + fp):.3f} | "
          f"{tp / (tp + fn):.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
