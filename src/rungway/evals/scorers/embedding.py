"""`similar`: cosine similarity of embeddings, through any embedding model the gateway serves.

As promptfoo's `similar`: the value is one expected text or several (the best match counts), falling back
to the sample's `expected`; the threshold defaults to 0.75. The embeddings of a spec's fixed values are
computed once and reused for every case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rungway.evals.scorers.base import ModelScorer, Sample, ScoreResult
from rungway.evals.scorers.models import ModelCallError, ModelClient
from rungway.evals.scorers.registry import scorer
from rungway.evals.scorers.spec import MAX_NAME_CHARS, ScorerContext, SpecReader

__all__ = ["EmbeddingSimilarity", "cosine"]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity; 0.0 for a zero vector or vectors of different lengths."""
    if len(a) != len(b):
        return 0.0
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norm if norm else 0.0


class EmbeddingSimilarity(ModelScorer):
    """The best cosine similarity between the output and the expected text(s), clipped to [0, 1]."""

    def __init__(self, client: ModelClient, model: str, references: tuple[str, ...], threshold: float) -> None:
        self.name = "similar"
        self.client = client
        self.model = model
        self.references = references
        self.threshold = threshold
        self._reference_vectors: list[list[float]] | None = None

    async def score(self, sample: Sample) -> ScoreResult:
        references = self.references or ((sample.expected,) if sample.expected is not None else ())
        if not references:
            return self.error("no value and no expected output to compare with")
        try:
            if self.references and self._reference_vectors is not None:
                output_vector = (await self.client.embed(self.model, [sample.output]))[0]
                reference_vectors = self._reference_vectors
            else:
                vectors = await self.client.embed(self.model, [sample.output, *references])
                output_vector, reference_vectors = vectors[0], vectors[1:]
                if self.references:
                    self._reference_vectors = reference_vectors
        except ModelCallError as exc:
            return self.error(f"embedding with {self.model} failed: {exc.message}")
        value = max(0.0, min(1.0, max(cosine(output_vector, v) for v in reference_vectors)))
        ok = value >= self.threshold
        return ScoreResult(value, ok, f"cosine {value:.3f} {'>=' if ok else '<'} {self.threshold:g} ({self.model})",
                           self.name, self.version)  # fmt: skip


def model_for(spec: SpecReader, default: str | None, kind: str) -> str:
    model = spec.text("model", required=False, max_chars=MAX_NAME_CHARS) or default
    if not model:
        raise spec.error("model", f"no {kind} model is set", f"write model: <a {kind} model the gateway serves>")
    return model


def client_for(spec: SpecReader, context: ScorerContext) -> ModelClient:
    if context.models is None:
        raise spec.error("type", "this assertion calls a model and no model client was given",
                         "run it through the eval runner, which calls models through the gateway")  # fmt: skip
    return context.models


@scorer("similar")
def _similar(spec: SpecReader, context: ScorerContext) -> ModelScorer:
    references = spec.texts() if spec.has("value") else ()
    model = model_for(spec, context.embedding_model, "embedding")
    return EmbeddingSimilarity(client_for(spec, context), model, references, spec.threshold(0.75))
