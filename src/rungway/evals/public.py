"""What other capabilities may use of evaluation: run a dataset through the gateway, read and compare runs.

The models capability's planned upgrades (`rungway models upgrade plan`) run a workload's bound
datasets on two models client-side (`run_dataset`, as `rungway eval run` does: through the gateway's
`/v1` with the workload's key, results streamed to `/api/eval-runs`), and the server compares the
stored runs case by case with the paired tests (`compare_records` over `load_records`), reading each
result's cost and latency (`read_results`). The SLOs capability counts a workload's passing online scores
over a time range (`online_score_counts`, a range count on the scores' (workload, created_at) index).
Everything else in `rungway.evals` stays private.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rungway.evals.gates.api import load_records
from rungway.evals.gates.compare import CaseRecord, Comparison, MetricDiff, compare_records
from rungway.evals.runs.cache import ResponseCache
from rungway.evals.runs.gateway_client import GatewayClient, RetryPolicy
from rungway.evals.runs.model import EvalResult, EvalRun, Trigger
from rungway.evals.runs.runner import EvalRunner, RunOutcome, RunSettings
from rungway.evals.runs.sinks import ApiClient, HttpSink, RunStart
from rungway.evals.runs.sources import PromptRef, open_dataset, parse_dataset_ref, resolve_prompt
from rungway.evals.runs.store import ResultRow, get_run, read_results
from rungway.evals.scorers import ScorerContext
from rungway.evals.scores.store import online_score_counts
from rungway.evals.stats import Verdict

__all__ = [
    "ApiClient",
    "CaseRecord",
    "Comparison",
    "EvalRun",
    "MetricDiff",
    "ResultRow",
    "RunOutcome",
    "Verdict",
    "compare_records",
    "get_run",
    "load_records",
    "online_score_counts",
    "read_results",
    "run_dataset",
]


async def run_dataset(
    url: str,
    key: str,
    workload: str,
    dataset: str,
    model: str,
    *,
    concurrency: int = 8,
    attempts: int = 3,
    timeout_s: float = 300.0,
    cache_dir: Path | None = None,
    prompt: str | None = None,
    trigger: Trigger = Trigger.CLI,
) -> RunOutcome:
    """Run dataset `dataset` (NAME[@VERSION]) on `model` through the gateway as the workload, scored and stored
        on the server; the outcome names the stored run. `prompt` (NAME, NAME:LABEL or NAME@VERSION) renders each
    case's vars, its model overridden by `model`. Model-graded assertions have no judge client here."""
    api = ApiClient(url, key)
    client = GatewayClient(url, key, concurrency=concurrency, timeout_s=timeout_s, retry=RetryPolicy(attempts=attempts))
    cache = ResponseCache(cache_dir) if cache_dir is not None else None
    try:
        name, version = parse_dataset_ref(dataset)
        source = await open_dataset(api, workload, name, version)
        rendered = await resolve_prompt(api, workload, PromptRef.parse(prompt)) if prompt else None
        choice = rendered.choice if rendered is not None else None
        settings = RunSettings(
            concurrency=concurrency,
            repeat=1,
            model=model,
            parameters={},
            prompt=choice,
            scorer_context=ScorerContext(models=None, judge_model=model),
        )
        start = RunStart(
            workload=workload,
            dataset=name,
            dataset_version=source.version,
            model=model,
            parameters={},
            prompt=choice.name if choice else None,
            prompt_version=choice.version if choice else None,
            repeat=1,
            trigger=trigger,
            git_commit=None,
            git_branch=None,
        )
        return await EvalRunner(client, settings, cache, _quiet).run(start, source, HttpSink(api))
    finally:
        if cache is not None:
            cache.close()
        await asyncio.gather(client.close(), api.close())


def _quiet(result: EvalResult) -> None:
    """No progress output: the caller reports per run."""
