"""Workloads: the unit Rungway attributes, limits, traces and assesses."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

WORKLOAD_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class ContentCapture(enum.StrEnum):
    """How much of prompts and outputs the traces keep for a workload."""

    FULL = "full"
    REDACTED = "redacted"
    METADATA_ONLY = "metadata-only"


class RiskTier(enum.StrEnum):
    """How important a workload is; sets the maturity stage it should reach."""

    INTERNAL = "internal"
    CUSTOMER_FACING = "customer-facing"
    REGULATED = "regulated"


def valid_workload_name(name: str) -> bool:
    return bool(WORKLOAD_NAME.fullmatch(name))  # not `match`: its `$` also matches before a final newline


@dataclass(frozen=True, slots=True)
class Workload:
    """A named LLM workload (e.g. `support-bot`) owned by a team within a tenant."""

    name: str
    description: str = ""
    team: str | None = None
    tenant: str | None = None
    risk_tier: RiskTier = RiskTier.INTERNAL
    content_capture: ContentCapture = ContentCapture.FULL
    retention_days: int | None = None
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    created_at: float = 0.0
