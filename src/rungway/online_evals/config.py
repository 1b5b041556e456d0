"""The `online_evals:` section of rungway.yaml: scorers judging a sample of each workload's production calls.

    online_evals:
      queue_size: 10000          # sampled calls waiting to be scored (past it: dropped and counted)
      workers: 4                 # scoring tasks: at most this many judgements at once
      timeout_s: 60              # a judge or embedding call's limit
      refresh_s: 10              # scorers and today's spend re-read from the store (other replicas' changes)
      judge_model: gpt-4o-mini   # default judge of llm-rubric / pairwise (a model under `models:`)
      embedding_model: text-embedding-3-small   # default model of `similar`
      daily_cost_cap_usd: 1.0    # per workload and UTC day, for workloads that set none
      workloads:
        support-bot:
          daily_cost_cap_usd: 5
          scorers:
            helpful:                       # the score records' name
              assert: {type: llm-rubric, value: "Answers the customer's question politely"}
              sample: 0.1                  # share of matching calls judged
              filter: {model: gpt-4o-mini, prompt: support-answer, tags: {tier: gold}}
            no-apology:
              assert: {type: not-icontains, value: "I apologize"}
              sample: 1.0

A scorer's `assert` is any assertion of the evaluation registry (docs/evals.md), checked here once; `python`
assertions are refused (a server never imports code named in a configuration). Scorers added through
`/api/online-evals` join these; a configured one is removed by removing it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rungway.errors import ConfigError, RungwayError
from rungway.evals.public import ChatReply, ChatRequest, ModelCallError, ScorerContext, scorer_from_spec
from rungway.online_evals.model import MAX_SCORERS_PER_WORKLOAD, CallFilter
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = [
    "MAX_CAP_USD",
    "MAX_SAMPLE_MIN",
    "ONLINE_EVALS_SECTION",
    "OnlineEvalsConfig",
    "ScorerDecl",
    "WorkloadPlan",
    "check_spec",
    "parse_filter",
    "parse_online_evals",
]

MAX_CAP_USD = 100_000.0
_SPEC_EXAMPLE = "{type: contains, value: x}"
_SCORER_EXAMPLE = "{assert: {type: length, value: {max: 2000}}, sample: 0.1}"
_SCORERS_EXAMPLE = "{short: " + _SCORER_EXAMPLE + "}"
_TEXT_EXAMPLES = {"endpoint": "chat.completions", "prompt": "support-answer", "route": "gpt-4o-mini"}
MAX_SAMPLE_MIN = 1e-6  # the smallest sampling rate (one call in a million)


@dataclass(frozen=True, slots=True)
class ScorerDecl:
    """One configured scorer of a workload."""

    name: str
    spec: Mapping[str, Any]
    sample: float
    filter: CallFilter


@dataclass(frozen=True, slots=True)
class WorkloadPlan:
    """A workload's configured scorers and its daily cost cap (None: the section's default)."""

    cap_usd: float | None
    scorers: tuple[ScorerDecl, ...] = ()


@dataclass(frozen=True, slots=True)
class OnlineEvalsConfig:
    """The scoring queue's bounds, the default models and cap, and the configured scorers per workload."""

    queue_size: int = 10_000
    workers: int = 4
    timeout_s: float = 60.0
    refresh_s: float = 10.0
    judge_model: str | None = None
    embedding_model: str | None = None
    daily_cost_cap_usd: float = 1.0
    workloads: dict[str, WorkloadPlan] = field(default_factory=dict)

    def cap_usd(self, workload: str) -> float:
        plan = self.workloads.get(workload)
        return plan.cap_usd if plan is not None and plan.cap_usd is not None else self.daily_cost_cap_usd


class _Unused:
    """The model client a spec is checked with: building a scorer calls no model."""

    async def chat(self, request: ChatRequest) -> ChatReply:
        raise ModelCallError("not a scoring client")

    async def embed(self, model: str, texts: Any) -> list[list[float]]:
        raise ModelCallError("not a scoring client")


def check_spec(spec: Mapping[str, Any], where: str, config: OnlineEvalsConfig) -> None:
    """Build the scorer once to check its spec: raises InvalidAssertion naming `where`, the field and the fix."""
    context = ScorerContext(models=_Unused(), judge_model=config.judge_model, embedding_model=config.embedding_model)
    scorer_from_spec(spec, where=where, context=context)


def _mapping(raw: Any, key_path: str, source: str, lines: Any, example: str) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, key_path, source, lines).error(key_path, problem, f"write e.g. `{example}`")
    return data


def _number(data: ConfigMapping, key: str, default: float, low: float, high: float, path: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise data.error(
            f"{path}.{key}",
            f"expected a number from {low:g} to {high:g}, got {value!r}",
            f"write e.g. {default:g}",
        )
    return float(value)


def _text(data: ConfigMapping, key: str, path: str, max_chars: int = 128) -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= max_chars):
        raise data.error(
            f"{path}.{key}",
            f"expected text of 1 to {max_chars} characters, got {value!r}",
            f"write e.g. {_TEXT_EXAMPLES.get(key, 'gpt-4o-mini')}",
        )
    return value


def parse_filter(data: ConfigMapping, path: str) -> CallFilter:
    """A scorer's `filter:` (every key optional)."""
    version = data.get("prompt_version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 2**31):
        raise data.error(f"{path}.prompt_version", f"expected a version number, got {version!r}", "write e.g. 3")
    tags = _mapping(data.get("tags"), f"{path}.tags", data.path, data.lines, "{tier: gold}")
    for key, value in tags.items():
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(key)) > 64 or len(str(value)) > 256:
            raise tags.error(f"{path}.tags.{key}", f"expected a short text value, got {value!r}", "write e.g. gold")
    return CallFilter(
        model=_text(data, "model", path),
        endpoint=_text(data, "endpoint", path, 32),
        route=_text(data, "route", path),
        prompt=_text(data, "prompt", path),
        prompt_version=version,
        tags={str(k): str(v) for k, v in tags.items()},
    )


def _scorer(name: str, entry: ConfigMapping, path: str, config: OnlineEvalsConfig) -> ScorerDecl:
    if len(name) > 64 or not name[:1].isalnum():
        raise entry.error(
            path,
            f"a scorer's name is 1 to 64 characters starting with a letter or digit: {name!r}",
            "rename it, e.g. helpful",
        )
    sample = _number(entry, "sample", 0.1, MAX_SAMPLE_MIN, 1.0, path)
    filter_data = _mapping(entry.get("filter"), f"{path}.filter", entry.path, entry.lines, "{model: gpt-4o-mini}")
    found = parse_filter(filter_data, f"{path}.filter")
    filter_data.reject_unknown_keys()
    raw_spec = entry.get("assert")
    if raw_spec is None:
        entry.reject_unknown_keys()  # a misspelt `assert` is named as such
    spec = tracked(raw_spec, f"{path}.assert", entry.path)
    if not isinstance(spec, ConfigMapping):
        raise entry.error(f"{path}.assert", "expected an assertion spec", f"write e.g. `{_SPEC_EXAMPLE}`")
    plain = spec.delegate()
    line = entry.lines.get(f"{path}.assert") or entry.lines.get(path)
    try:
        check_spec(plain, f"{entry.path}:{line}: {path}.assert" if line else f"{entry.path}: {path}.assert", config)
    except RungwayError as exc:
        problem, _, their_fix = exc.message.partition(". Fix: ")
        raise ConfigError(f"{problem}. Fix: write e.g. `{_SPEC_EXAMPLE}`, or: {their_fix}") from None
    return ScorerDecl(name, plain, sample, found)


def parse_online_evals(raw: object, source: str = "rungway.yaml") -> OnlineEvalsConfig:
    """Validate `online_evals:`; every error names the file, line, key path and the fix."""
    example = f"{{workloads: {{support: {{scorers: {_SCORERS_EXAMPLE}}}}}}}"
    data = _mapping(raw, "online_evals", source, {}, example)
    path = "online_evals"
    queue_size = _number(data, "queue_size", 10_000, 1, 1_000_000, path)
    workers = _number(data, "workers", 4, 1, 64, path)
    for key, value in (("queue_size", queue_size), ("workers", workers)):
        if not value.is_integer():
            raise data.error(f"{path}.{key}", f"expected a whole number, got {value!r}", "write e.g. 4")
    base = OnlineEvalsConfig(
        queue_size=int(queue_size),
        workers=int(workers),
        timeout_s=_number(data, "timeout_s", 60.0, 1.0, 600.0, path),
        refresh_s=_number(data, "refresh_s", 10.0, 0.05, 3600.0, path),
        judge_model=_text(data, "judge_model", path),
        embedding_model=_text(data, "embedding_model", path),
        daily_cost_cap_usd=_number(data, "daily_cost_cap_usd", 1.0, 0.0, MAX_CAP_USD, path),
    )
    workloads = _mapping(
        data.get("workloads"), f"{path}.workloads", source, data.lines, f"{{support: {{scorers: {_SCORERS_EXAMPLE}}}}}"
    )
    plans: dict[str, WorkloadPlan] = {}
    for workload, value in workloads.items():
        wpath = f"{path}.workloads.{workload}"
        entry = _mapping(value, wpath, source, workloads.lines, "{daily_cost_cap_usd: 5}")
        cap = entry.get("daily_cost_cap_usd")
        cap_usd = None if cap is None else _number(entry, "daily_cost_cap_usd", 1.0, 0.0, MAX_CAP_USD, wpath)
        scorers = _mapping(entry.get("scorers"), f"{wpath}.scorers", source, entry.lines, _SCORERS_EXAMPLE)
        if len(scorers) > MAX_SCORERS_PER_WORKLOAD:
            raise scorers.error(
                f"{wpath}.scorers", f"{len(scorers)} scorers, over {MAX_SCORERS_PER_WORKLOAD}", "keep the ones you read"
            )
        decls = []
        for name, scorer_raw in scorers.items():
            spath = f"{wpath}.scorers.{name}"
            scorer_entry = _mapping(scorer_raw, spath, source, scorers.lines, _SCORER_EXAMPLE)
            decls.append(_scorer(str(name), scorer_entry, spath, base))
            scorer_entry.reject_unknown_keys()
        plans[str(workload)] = WorkloadPlan(cap_usd, tuple(decls))
    data.reject_unknown_keys()
    return OnlineEvalsConfig(**{**_fields(base), "workloads": plans})


def _fields(config: OnlineEvalsConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in OnlineEvalsConfig.__dataclass_fields__}


def check_models(config: Any, parsed: OnlineEvalsConfig) -> None:
    """Every judge or embedding model the section names is served (`models:`): scoring calls it in process.
    Checked when the server starts (`install`), like the shadow targets."""
    wanted: list[tuple[str, object]] = [
        ("online_evals.judge_model", parsed.judge_model),
        ("online_evals.embedding_model", parsed.embedding_model),
    ]
    for workload, plan in parsed.workloads.items():
        for decl in plan.scorers:
            wanted.append(
                (f"online_evals.workloads.{workload}.scorers.{decl.name}.assert.model", decl.spec.get("model"))
            )
    served = config.models
    for path, model in wanted:
        if isinstance(model, str) and model not in served:
            names = ", ".join(sorted(served)) or "the models you add under models:"
            raise ConfigError(f"{config.source}: {path}: no model {model!r} under `models:`. Fix: name one of {names}")


ONLINE_EVALS_SECTION = ConfigSection("online_evals", parse_online_evals)
"""`online_evals:` in rungway.yaml."""
