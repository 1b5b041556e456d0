"""The scorer registry: assertion `type` name -> factory, filled by `@scorer("name")`.

Built-in scorers and third-party ones register through the same door: a module listed under the
`rungway.scorers` entry-point group (`name = "package.module"`) is imported the first time its type is
asked for, and registers its factory with `@scorer("name")`. `scorer_from_spec(spec, where=...)` builds
one configured `Assertion` from a spec; a `not-` prefix on any registered type inverts it (promptfoo's
rule). Importing the registry imports no scorer module and no optional library.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from rungway.evals.scorers.base import Assertion, JsonValue, ModelScorer, Sample, Scorer, ScoreResult
from rungway.evals.scorers.spec import MAX_NAME_CHARS, InvalidAssertion, ScorerContext, SpecReader

__all__ = ["ENTRY_POINT_GROUP", "ScorerFactory", "known_types", "scorer", "scorer_from_spec"]

ENTRY_POINT_GROUP = "rungway.scorers"
ScorerFactory = Callable[[SpecReader, ScorerContext], Scorer | ModelScorer]

_FACTORIES: dict[str, ScorerFactory] = {}
# The built-ins are declared in pyproject.toml's entry points like a plugin's; this table is the fallback
# for a source checkout whose metadata is stale.
_BUILTIN_MODULES = {
    **dict.fromkeys(
        ("equals", "contains", "icontains", "contains-any", "icontains-any", "contains-all", "icontains-all",
         "starts-with", "regex", "word-count", "length"),
        "rungway.evals.scorers.text",
    ),
    **dict.fromkeys(("is-json", "contains-json", "numeric"), "rungway.evals.scorers.structured"),
    **dict.fromkeys(("tool-call", "tool-call-f1", "is-valid-openai-tools-call"), "rungway.evals.scorers.tools"),
    **dict.fromkeys(("latency", "cost"), "rungway.evals.scorers.call_metrics"),
    **dict.fromkeys(("rouge-n", "rouge-l", "token-f1", "levenshtein"), "rungway.evals.scorers.similarity"),
    "python": "rungway.evals.scorers.custom",
    "similar": "rungway.evals.scorers.embedding",
    **dict.fromkeys(("llm-rubric", "pairwise"), "rungway.evals.scorers.judge"),
}  # fmt: skip


def scorer(type_name: str) -> Callable[[ScorerFactory], ScorerFactory]:
    """Register a factory that builds a scorer from a validated spec (`SpecReader`) and the context."""

    def decorate(factory: ScorerFactory) -> ScorerFactory:
        _FACTORIES[type_name] = factory
        return factory

    return decorate


def _plugin_modules() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _load(type_name: str) -> ScorerFactory | None:
    if type_name in _FACTORIES:
        return _FACTORIES[type_name]
    module = _plugin_modules().get(type_name) or _BUILTIN_MODULES.get(type_name)
    if module is not None:
        importlib.import_module(module.split(":")[0])
    return _FACTORIES.get(type_name)


def known_types() -> list[str]:
    """Every assertion type that can be built (each also takes the `not-` prefix)."""
    return sorted(set(_FACTORIES) | set(_BUILTIN_MODULES) | set(_plugin_modules()))


def scorer_from_spec(spec: Mapping[str, JsonValue], *, where: str, context: ScorerContext | None = None) -> Assertion:
    """Build the assertion a spec describes; InvalidAssertion naming `where` and the field when it is wrong."""
    if not isinstance(spec, Mapping):
        raise InvalidAssertion(
            f"{where}: expected a mapping with a `type`. Fix: write e.g. {{type: contains, value: x}}"
        )
    raw_type = spec.get("type")
    if not isinstance(raw_type, str) or not raw_type or len(raw_type) > MAX_NAME_CHARS:
        raise InvalidAssertion(f"{where}: type: expected an assertion type name. Fix: write e.g. type: contains")
    negated = raw_type.startswith("not-") and _load(raw_type) is None
    base_type = raw_type[4:] if negated else raw_type
    factory = _load(base_type)
    if factory is None:
        close = difflib.get_close_matches(base_type, known_types(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "install the plugin that provides it"
        raise InvalidAssertion(
            f"{where}: type: unknown assertion type {raw_type!r}. Fix: {hint} "
            f"(known: {', '.join(known_types())}; any takes the not- prefix)",
            param="type",
        )
    reader = SpecReader(spec, raw_type, where)
    weight = reader.number("weight", default=1.0, low=0.0, high=1_000.0)
    metric = reader.text("metric", required=False, max_chars=MAX_NAME_CHARS) or raw_type
    built = factory(reader, context or ScorerContext())
    reader.finish()
    if negated:
        built = NegatedModelScorer(built) if isinstance(built, ModelScorer) else NegatedScorer(built)
    return Assertion(raw_type, built, 1.0 if weight is None else weight, metric)


def _negate(result: ScoreResult, name: str) -> ScoreResult:
    if result.errored:
        return ScoreResult(0.0, False, result.explanation, name, result.version, True, result.judges)
    explanation = f"not: {result.explanation}"
    return ScoreResult(1.0 - result.value, not result.passed, explanation, name, result.version, False, result.judges)


class NegatedScorer(Scorer):
    """`not-<type>`: the inner scorer's value inverted and its pass/fail flipped (an error stays an error)."""

    def __init__(self, inner: Scorer) -> None:
        self.inner = inner
        self.name = f"not-{inner.name}"
        self.version = inner.version

    def score(self, sample: Sample) -> ScoreResult:
        return _negate(self.inner.score(sample), self.name)


class NegatedModelScorer(ModelScorer):
    """`not-<type>` for a model-graded scorer."""

    def __init__(self, inner: ModelScorer) -> None:
        self.inner = inner
        self.name = f"not-{inner.name}"
        self.version = inner.version

    async def score(self, sample: Sample) -> ScoreResult:
        return _negate(await self.inner.score(sample), self.name)
