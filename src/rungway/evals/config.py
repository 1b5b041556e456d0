"""The `evals:` section of rungway.yaml: server-side eval runs on a new prompt version, and the gate on labels.

    evals:
      require_eval_pass: false   # default for every workload: refuse a protected label move without a passing run
      run_concurrency: 4         # calls in flight per server-side run (1..64)
      max_runs: 2                # server-side runs at once (1..16); more wait their turn
      workloads:
        support-bot:
          require_eval_pass: true

With `require_eval_pass`, moving a protected label (the `prompts:` policy's `protected_labels`) of one of
the workload's prompts to a version needs, for every dataset bound to the prompt, a finished run of that
exact version on that dataset whose pass rate meets the binding's requirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["EVALS_SECTION", "EvalsConfig", "parse_evals"]


@dataclass(frozen=True, slots=True)
class EvalsConfig:
    """The gate's default, each workload's own, and the bounds of server-side runs."""

    require_eval_pass: bool = False
    workloads: dict[str, bool] = field(default_factory=dict)
    run_concurrency: int = 4
    max_runs: int = 2

    def requires_pass(self, workload: str | None) -> bool:
        if workload is None:
            return False  # shared prompts: the gate is a workload's policy
        return self.workloads.get(workload, self.require_eval_pass)


def _mapping(raw: Any, key_path: str, source: str, lines: Mapping[str, int], example: str) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        raise ConfigMapping({}, key_path, source, lines).error(
            key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`"
        )
    return data


def _flag(data: ConfigMapping, key_path: str, default: bool) -> bool:
    value = data.get("require_eval_pass", default)
    if not isinstance(value, bool):
        raise data.error(key_path, f"expected true or false, got {value!r}", "write e.g. true")
    return value


def _bounded_int(data: ConfigMapping, key: str, default: int, top: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise data.error(
            f"evals.{key}", f"expected a whole number from 1 to {top}, got {value!r}", f"write e.g. {default}"
        )
    return value


def parse_evals(raw: object, source: str = "rungway.yaml") -> EvalsConfig:
    """Validate `evals:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "evals", source, {}, "{require_eval_pass: true}")
    default = _flag(data, "evals.require_eval_pass", False)
    workloads = _mapping(data.get("workloads"), "evals.workloads", source, data.lines, "{support-bot: {}}")
    per_workload: dict[str, bool] = {}
    for name, value in workloads.items():
        entry = _mapping(value, f"evals.workloads.{name}", source, workloads.lines, "{require_eval_pass: true}")
        per_workload[str(name)] = _flag(entry, f"evals.workloads.{name}.require_eval_pass", default)
        entry.reject_unknown_keys()
    config = EvalsConfig(
        require_eval_pass=default,
        workloads=per_workload,
        run_concurrency=_bounded_int(data, "run_concurrency", 4, 64),
        max_runs=_bounded_int(data, "max_runs", 2, 16),
    )
    data.reject_unknown_keys()
    return config


EVALS_SECTION = ConfigSection("evals", parse_evals)
"""`evals:` in rungway.yaml."""
