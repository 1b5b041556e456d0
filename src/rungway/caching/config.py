"""The `cache:` section of rungway.yaml: which workloads' answers are kept, for how long, and how they are found.

    cache:
      memory_mb: 64              # the in-process tier, across workloads (least recently used out first)
      shared: auto               # the second tier: auto (Redis when `counters:` uses Redis, else the store),
                                 # redis, or store
      refresh_s: 5               # other replicas' stored answers read from the store this often
      workloads:
        support-bot:
          ttl_s: 3600            # an answer is served for this long after it was stored
          max_temperature: 1.0   # calls sampling hotter than this are not cached
          tools: false           # calls that offer tools are not cached (tools may have side effects)
          semantic:              # a second layer: a similar enough prompt gets the stored answer
            embedding_model: text-embedding-3-small   # a model under `models:` (called in process)
            threshold: 0.92      # cosine similarity a hit needs
            strict: true         # and the same model, the same system prompt, a length within 30%
            max_entries: 100000  # per workload; the oldest out first
            check:               # a sample of semantic hits re-asked upstream, the answers compared
              sample: 0.05
              daily_cost_usd: 1.0
              assert: {type: similar, threshold: 0.85}   # any evaluation scorer; `expected` is the cached answer
              min_checks: 20     # checks before the precision is acted on
              min_precision: 0.9
              on_low_precision: raise_threshold   # or pause

Only workloads listed here are cached (a workload's answers are never served to another). A call decides for
itself with `Cache-Control` (`no-cache`, `no-store`, `max-age=N`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rungway.errors import ConfigError, RungwayError
from rungway.evals.public import ChatReply, ChatRequest, ModelCallError, ScorerContext, scorer_from_spec
from rungway.settings.readers import choice_at as _choice
from rungway.settings.readers import flag_at as _flag
from rungway.settings.readers import mapping_at as _mapping
from rungway.settings.readers import number_at as _number
from rungway.settings.readers import whole_at as _whole
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = [
    "CACHE_SECTION",
    "CacheConfig",
    "HitCheckPolicy",
    "SemanticPolicy",
    "WorkloadCache",
    "check_models",
    "parse_cache",
]

MAX_TTL_S = 365 * 86400


@dataclass(frozen=True, slots=True)
class HitCheckPolicy:
    """How a workload's semantic hits are checked: a sample re-asked upstream and compared by a scorer."""

    sample: float = 0.05
    daily_cost_usd: float = 1.0
    spec: dict[str, Any] = field(default_factory=lambda: {"type": "similar", "threshold": 0.85})
    min_checks: int = 20
    min_precision: float = 0.9
    on_low_precision: Literal["raise_threshold", "pause"] = "raise_threshold"


@dataclass(frozen=True, slots=True)
class SemanticPolicy:
    """A workload's semantic layer."""

    embedding_model: str
    threshold: float = 0.92
    strict: bool = True
    max_entries: int = 100_000
    check: HitCheckPolicy | None = None


@dataclass(frozen=True, slots=True)
class WorkloadCache:
    """One workload's caching: the exact layer always, the semantic one when declared."""

    ttl_s: float = 3600.0
    max_temperature: float = 1.0
    tools: bool = False
    semantic: SemanticPolicy | None = None


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """The tiers' bounds and the cached workloads."""

    memory_mb: float = 64.0
    shared: Literal["auto", "redis", "store"] = "auto"
    refresh_s: float = 5.0
    workloads: dict[str, WorkloadCache] = field(default_factory=dict)


def _check(data: ConfigMapping, path: str) -> HitCheckPolicy:
    raw_spec = data.get("assert")
    spec: dict[str, Any] = {"type": "similar", "threshold": 0.85}
    if raw_spec is not None:
        tracked_spec = tracked(raw_spec, f"{path}.assert", data.path)
        if not isinstance(tracked_spec, ConfigMapping) or not isinstance(tracked_spec.get("type"), str):
            raise data.error(
                f"{path}.assert",
                "expected an assertion spec with a `type`",
                "write e.g. `{type: similar, threshold: 0.85}`",
            )
        spec = tracked_spec.delegate()
    policy = HitCheckPolicy(
        sample=_number(data, "sample", 0.05, 0.0, 1.0, path),
        daily_cost_usd=_number(data, "daily_cost_usd", 1.0, 0.0, 100_000.0, path),
        spec=spec,
        min_checks=_whole(data, "min_checks", 20, 1, 1_000_000, path),
        min_precision=_number(data, "min_precision", 0.9, 0.0, 1.0, path),
        on_low_precision=_choice(data, "on_low_precision", "raise_threshold", ("raise_threshold", "pause"), path),  # type: ignore[arg-type]
    )
    data.reject_unknown_keys()
    return policy


class _Unused:
    """The model client a spec is checked with: building a scorer calls no model."""

    async def chat(self, request: ChatRequest) -> ChatReply:
        raise ModelCallError("not a scoring client")

    async def embed(self, model: str, texts: Any) -> list[list[float]]:
        raise ModelCallError("not a scoring client")


def _check_spec(data: ConfigMapping, path: str, spec: dict[str, Any], embedding_model: str) -> None:
    """Build the scorer once, so a wrong `assert` stops the start, not every check."""
    line = data.lines.get(f"{path}.assert") or data.lines.get(path)
    where = f"{data.path}:{line}: {path}.assert" if line else f"{data.path}: {path}.assert"
    try:
        scorer_from_spec(spec, where=where, context=ScorerContext(models=_Unused(), embedding_model=embedding_model))
    except RungwayError as exc:
        raise ConfigError(exc.message) from None


def _semantic(data: ConfigMapping, path: str) -> SemanticPolicy:
    model = data.get("embedding_model")
    if not isinstance(model, str) or not 0 < len(model) <= 128:
        raise data.error(
            f"{path}.embedding_model",
            f"expected a model name under `models:`, got {model!r}",
            "write e.g. text-embedding-3-small",
        )
    raw_check = data.get("check")
    check = None
    if raw_check is not None:
        check_data = _mapping(raw_check, f"{path}.check", data.path, data.lines, "{sample: 0.05}")
        check = _check(check_data, f"{path}.check")
        _check_spec(check_data, f"{path}.check", check.spec, model)
    policy = SemanticPolicy(
        embedding_model=model,
        threshold=_number(data, "threshold", 0.92, 0.5, 1.0, path),
        strict=_flag(data, "strict", True, path),
        max_entries=_whole(data, "max_entries", 100_000, 1, 10_000_000, path),
        check=check,
    )
    data.reject_unknown_keys()
    return policy


def _workload(data: ConfigMapping, path: str) -> WorkloadCache:
    raw_semantic = data.get("semantic")
    semantic = None
    if raw_semantic is not None:
        example = "{embedding_model: text-embedding-3-small}"
        semantic = _semantic(
            _mapping(raw_semantic, f"{path}.semantic", data.path, data.lines, example), f"{path}.semantic"
        )
    policy = WorkloadCache(
        ttl_s=_number(data, "ttl_s", 3600.0, 1.0, MAX_TTL_S, path),
        max_temperature=_number(data, "max_temperature", 1.0, 0.0, 2.0, path),
        tools=_flag(data, "tools", False, path),
        semantic=semantic,
    )
    data.reject_unknown_keys()
    return policy


def parse_cache(raw: object, source: str = "rungway.yaml") -> CacheConfig:
    """Validate `cache:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "cache", source, {}, "{workloads: {support: {ttl_s: 3600}}}")
    path = "cache"
    workloads = _mapping(data.get("workloads"), f"{path}.workloads", source, data.lines, "{support: {ttl_s: 3600}}")
    parsed: dict[str, WorkloadCache] = {}
    for name, value in workloads.items():
        wpath = f"{path}.workloads.{name}"
        parsed[str(name)] = _workload(_mapping(value, wpath, source, workloads.lines, "{ttl_s: 3600}"), wpath)
    config = CacheConfig(
        memory_mb=_number(data, "memory_mb", 64.0, 1.0, 65_536.0, path),
        shared=_choice(data, "shared", "auto", ("auto", "redis", "store"), path),  # type: ignore[arg-type]
        refresh_s=_number(data, "refresh_s", 5.0, 0.05, 3600.0, path),
        workloads=parsed,
    )
    data.reject_unknown_keys()
    return config


def check_models(config: Any, parsed: CacheConfig) -> None:
    """Every embedding model a semantic layer names is served (`models:`) and every cached workload exists.
    Checked when the server starts (`install`)."""
    served = config.models
    for workload, policy in parsed.workloads.items():
        if policy.semantic is not None and policy.semantic.embedding_model not in served:
            names = ", ".join(sorted(served)) or "the models you add under models:"
            raise ConfigError(
                f"{config.source}: cache.workloads.{workload}.semantic.embedding_model: no model "
                f"{policy.semantic.embedding_model!r} under `models:`. Fix: name one of {names}"
            )


CACHE_SECTION = ConfigSection("cache", parse_cache)
"""`cache:` in rungway.yaml."""
