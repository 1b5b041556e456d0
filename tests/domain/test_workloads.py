"""Workloads (`domain/workloads.py`): names and their defaults."""

from __future__ import annotations

import pytest

from rungway.domain.workloads import ContentCapture, RiskTier, Workload, valid_workload_name


@pytest.mark.parametrize("name", ["support-bot", "a", "team.bot_2", "0" * 63])
def test_valid_workload_names(name: str) -> None:
    assert valid_workload_name(name)


@pytest.mark.parametrize("name", ["", "Support", "-bot", ".bot", "bot bot", "bot/1", "0" * 64, "bot\n"])
def test_invalid_workload_names(name: str) -> None:
    assert not valid_workload_name(name)


def test_a_new_workload_is_internal_keeps_full_content_and_has_no_limits() -> None:
    workload = Workload("support-bot")
    assert workload.risk_tier is RiskTier.INTERNAL and workload.content_capture is ContentCapture.FULL
    assert workload.rpm_limit is None and workload.tpm_limit is None and workload.retention_days is None
    assert RiskTier("customer-facing") is RiskTier.CUSTOMER_FACING
    assert ContentCapture("metadata-only") is ContentCapture.METADATA_ONLY
