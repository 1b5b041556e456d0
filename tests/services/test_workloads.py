"""Creating and changing workloads from caller-supplied fields (`services/workloads.py`)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from rungway.capability import migration_packages
from rungway.domain.workloads import ContentCapture, RiskTier
from rungway.errors import Conflict, InvalidRequest, NotFound
from rungway.services.workloads import (
    add_workload,
    describe_workload,
    find_workload,
    parse_workload_fields,
    update_workload,
)
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = create_store_engine(sqlite_url)
    upgrade(engine, migration_packages())
    return engine


def test_fields_are_read_into_workload_attributes() -> None:
    fields = {"description": "d", "team": None, "risk_tier": "regulated", "capture": "metadata-only",
              "retention_days": 30, "rpm_limit": 60, "tpm_limit": None}  # fmt: skip
    assert parse_workload_fields(fields) == {
        "description": "d", "team": None, "risk_tier": RiskTier.REGULATED,
        "content_capture": ContentCapture.METADATA_ONLY, "retention_days": 30, "rpm_limit": 60, "tpm_limit": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [
        ({"colour": "red"}, "colour", "unknown workload field 'colour'; use description, team"),
        ({"description": None}, "description", "description must be a string"),
        ({"team": 5}, "team", "team must be a string, got 5"),
        ({"risk_tier": "high"}, "risk_tier", "risk_tier must be one of internal|customer-facing|regulated"),
        ({"capture": "all"}, "capture", "capture must be one of full|redacted|metadata-only"),
        ({"rpm_limit": 0}, "rpm_limit", "a whole number >= 1 or null, got 0"),
        ({"tpm_limit": True}, "tpm_limit", "got True"),
        ({"retention_days": 1.5}, "retention_days", "got 1.5"),
    ],
)
def test_a_bad_field_is_named_with_what_it_must_be(fields: dict[str, Any], param: str, fragment: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_workload_fields(fields)
    assert caught.value.param == param and fragment in caught.value.message


def test_add_then_update_then_show(engine: Engine) -> None:
    added = add_workload(engine, "bot", {"team": "qa", "rpm_limit": 10})
    assert (added.team, added.rpm_limit) == ("qa", 10)
    changed = update_workload(engine, "bot", {"rpm_limit": None, "capture": "redacted"})
    assert (changed.team, changed.rpm_limit, changed.content_capture) == ("qa", None, ContentCapture.REDACTED)
    shown = describe_workload(changed)
    assert (shown["name"], shown["capture"], shown["risk_tier"], shown["rpm_limit"]) == (
        "bot", "redacted", "internal", None)  # fmt: skip


def test_a_taken_name_a_bad_name_and_a_missing_workload(engine: Engine) -> None:
    add_workload(engine, "bot", {})
    with pytest.raises(Conflict, match="PATCH /api/workloads/bot"):
        add_workload(engine, "bot", {})
    with pytest.raises(InvalidRequest) as caught:
        add_workload(engine, "Bot!", {})
    assert caught.value.param == "name"
    with pytest.raises(NotFound, match="rungway workloads list"):
        find_workload(engine, "nobody")
    with pytest.raises(NotFound):
        update_workload(engine, "nobody", {"team": "qa"})
