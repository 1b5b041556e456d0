"""The `audit_trails` evidence check on seeded stores: met with records and a chain verified under signed
checkpoints, partial with unsigned checkpoints, unmet with no records or a chain that does not verify, and not
applicable below the regulated tier."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from rungway.audit.config import AuditSettings
from rungway.audit.service import maybe_checkpoint
from rungway.audit.signing import parse_signing_key
from rungway.audit.store import audit_records, last_checkpoint
from tests.assessment.helpers import ASSESS_CONFIG, assess
from tests.audit.support import seed_changes
from tests.servers import Gateway

SEED = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
CONFIG = ASSESS_CONFIG + "  kept:\n    risk_tier: regulated\n  silent:\n    risk_tier: regulated\n"


def _item(reports: dict[str, dict[str, Any]], workload: str) -> dict[str, Any]:
    return {i["item"]: i for i in reports[workload]["items"]}["audit_trails"]


@pytest.fixture
def seeded(gateway_factory: Callable[..., Gateway], store_url: str) -> Callable[[str | None], Gateway]:
    def make(seed: str | None) -> Gateway:
        gw = gateway_factory(CONFIG, store_url=store_url)
        seed_changes(gw.state.engine, 5, workload="kept")
        signer = None if seed is None else parse_signing_key(seed)
        maybe_checkpoint(gw.state.engine, AuditSettings(), signer, time.time())  # unless the server's loop was first
        assert last_checkpoint(gw.state.engine) is not None
        return gw

    return make


def test_met_with_signed_checkpoints_and_unmet_without_records(
    seeded: Callable[[str | None], Gateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNGWAY_AUDIT_SIGNING_KEY", SEED)
    reports = assess(seeded(SEED))
    kept, silent = _item(reports, "kept"), _item(reports, "silent")
    assert (kept["verdict"], silent["verdict"]) == ("met", "unmet"), (kept, silent)
    assert (
        kept["evidence"]["signatures_verified"] >= 1
        and kept["evidence"]["unsigned"] == 0
        and kept["evidence"]["records"] == 5
    )
    assert "nothing was captured" in silent["reason"]
    assert _item(reports, "idle")["verdict"] == "not_applicable"  # an internal workload


def test_partial_when_checkpoints_are_unsigned(
    seeded: Callable[[str | None], Gateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNGWAY_AUDIT_SIGNING_KEY", raising=False)
    kept = _item(assess(seeded(None)), "kept")
    assert kept["verdict"] == "partial" and "unsigned" in kept["reason"]


def test_unmet_when_the_chain_does_not_verify(
    seeded: Callable[[str | None], Gateway], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNGWAY_AUDIT_SIGNING_KEY", SEED)
    gw = seeded(SEED)
    with gw.state.engine.begin() as conn:
        conn.execute(update(audit_records).where(audit_records.c.seq == 2).values(actor="mallory"))
    kept = _item(assess(gw), "kept")
    assert kept["verdict"] == "unmet" and "record 2" in kept["reason"] and "changed" in kept["reason"]
