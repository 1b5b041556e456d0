"""The `prompts:` section of rungway.yaml: the review policy and how often the gateway's catalog refreshes.

    prompts:
      protected_labels: [production]   # moving these needs approvals (default: production)
      approvals_required: 1             # distinct approvers, never the author (0..5; 0: no approval needed)
      refresh_s: 1.0                    # how often each server reloads prompts into memory
      workloads:                        # per-workload policy; unset keys take the defaults above
        support-bot:
          protected_labels: [production, staging]
          approvals_required: 2

The server enforces the policy on every label move (API, CLI, dashboard, push and import alike).
A shared prompt (no workload) follows the top-level policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.prompts.model import LATEST, valid_label
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["MAX_APPROVALS", "PROMPTS_SECTION", "PromptsConfig", "ReviewPolicy", "parse_prompts"]

MAX_APPROVALS = 5


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """What moving a label of one workload's prompts needs."""

    protected_labels: frozenset[str] = frozenset({"production"})
    approvals_required: int = 1

    def is_protected(self, label: str) -> bool:
        return label in self.protected_labels


@dataclass(frozen=True, slots=True)
class PromptsConfig:
    """The default review policy, each workload's own, and the catalog's refresh interval."""

    default: ReviewPolicy = field(default_factory=ReviewPolicy)
    workloads: dict[str, ReviewPolicy] = field(default_factory=dict)
    refresh_s: float = 1.0

    def policy_for(self, workload: str | None) -> ReviewPolicy:
        """The policy for a workload's prompts (the default for shared prompts and unlisted workloads)."""
        if workload is None:
            return self.default
        return self.workloads.get(workload, self.default)


def _labels(data: ConfigMapping, key_path: str, default: frozenset[str]) -> frozenset[str]:
    raw = data.get("protected_labels")
    if raw is None:
        return default
    if not isinstance(raw, list) or not all(isinstance(label, str) for label in raw):
        raise data.error(key_path, f"expected a list of label names, got {raw!r}", "write e.g. [production]")
    for label in raw:
        if not valid_label(label) or label == LATEST:
            raise data.error(
                key_path,
                f"{label!r} is not a label that can be protected",
                "use lowercase letters, digits, '.', '_' or '-' (`latest` is virtual and never moves)",
            )
    return frozenset(raw)


def _approvals(data: ConfigMapping, key_path: str, default: int) -> int:
    value = data.get("approvals_required", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_APPROVALS:
        raise data.error(
            key_path, f"expected a whole number from 0 to {MAX_APPROVALS}, got {value!r}", "write e.g. 1 (0: none)"
        )
    return value


def _mapping(raw: Any, key_path: str, source: str, example: str, parent: ConfigMapping | None = None) -> ConfigMapping:
    lines = parent.lines if parent is not None else {}
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        raise ConfigMapping({}, key_path, source, lines).error(
            key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`"
        )
    return data


def _policy(data: ConfigMapping, default: ReviewPolicy) -> ReviewPolicy:
    path = data.key_path
    return ReviewPolicy(
        protected_labels=_labels(data, f"{path}.protected_labels", default.protected_labels),
        approvals_required=_approvals(data, f"{path}.approvals_required", default.approvals_required),
    )


def parse_prompts(raw: object, source: str = "rungway.yaml") -> PromptsConfig:
    """Validate `prompts:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "prompts", source, "{approvals_required: 1}")
    default = _policy(data, ReviewPolicy())
    refresh = data.get("refresh_s", 1.0)
    if isinstance(refresh, bool) or not isinstance(refresh, int | float) or not 0.05 <= refresh <= 3600:
        raise data.error("prompts.refresh_s", f"expected seconds from 0.05 to 3600, got {refresh!r}", "write e.g. 1.0")
    per_workload: dict[str, ReviewPolicy] = {}
    workloads = _mapping(
        data.get("workloads"), "prompts.workloads", source, "{support-bot: {approvals_required: 2}}", data
    )
    for name, value in workloads.items():
        entry = _mapping(value, f"prompts.workloads.{name}", source, "{approvals_required: 2}", workloads)
        per_workload[str(name)] = _policy(entry, default)
        entry.reject_unknown_keys()
    data.reject_unknown_keys()
    return PromptsConfig(default=default, workloads=per_workload, refresh_s=float(refresh))


PROMPTS_SECTION = ConfigSection("prompts", parse_prompts)
"""`prompts:` in rungway.yaml."""
