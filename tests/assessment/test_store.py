"""Assessment storage on SQLite and PostgreSQL: the hourly roll-up equals a live count; history, claims,
attestations (with expiry) and organisation thresholds round-trip."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from rungway.assessment.facts import refresh_rollup, request_facts, rollup_watermark
from rungway.capability import migration_packages
from rungway.domain.ids import new_id
from rungway.domain.records import RequestRecord
from rungway.domain.workloads import Workload
from rungway.errors import InvalidRequest
from rungway.settings.config import ModelRoute
from rungway.store.engine import create_store_engine
from rungway.store.migrate import upgrade
from rungway.store.requests import insert_requests
from rungway.store.workloads import create_workload

HOUR = 3600.0
DAY = 86400.0


@pytest.fixture
def engine(store_url: str) -> Engine:
    eng = create_store_engine(store_url)
    upgrade(eng, migration_packages())
    for name in ("alpha", "beta"):
        create_workload(eng, Workload(name=name))
    return eng


def _records(now: float, n: int) -> list[RequestRecord]:
    out = []
    for i in range(n):
        ts = now - (i % 200) * 0.37 * HOUR - 5.0
        out.append(
            RequestRecord(
                id=new_id("req_"),
                ts_start=ts,
                ts_end=ts + 0.1,
                workload="alpha" if i % 3 else "beta",
                key_id=f"key_{i % 2}",
                user=None if i % 7 == 0 else f"u{i % 5}",
                team=None,
                model_resolved="gpt-4o-2024-08-06" if i % 4 else "gpt-4o-mini",
                provider="sim",
                provider_account="org" if i % 11 else None,
                status=200 if i % 13 else 502,
                latency_ms=10.0,
                priced=i % 6 != 0,
                model_pinned=True,  # as the gateway records it: both routes pinned when the call was made
                user_from_request=None if i % 7 == 0 else True,
            )
        )
    return out


def _totals(engine: Engine, since: float, until: float) -> dict[tuple[str, str, str], tuple[int, ...]]:
    rows, _ = request_facts(engine, since, until)
    return {(r.workload, r.key_id, r.model_resolved): (r.calls, r.with_user, r.ok_priced, r.errors) for r in rows}


def test_rollup_plus_live_edges_equals_a_live_count(engine: Engine) -> None:
    now = time.time()
    insert_requests(engine, _records(now, 1200))
    since = now - 30 * DAY + 0.5 * HOUR  # a window that starts mid-hour
    live_only = _totals(engine, since, now)
    assert rollup_watermark(engine) is None
    assert refresh_rollup(engine, now) > 0
    assert rollup_watermark(engine) is not None
    assert _totals(engine, since, now) == live_only
    assert refresh_rollup(engine, now) == 0  # nothing new to roll up
    narrow = now - 20 * HOUR - 0.25 * HOUR
    assert _totals(engine, narrow, now) == _totals_live(engine, narrow, now)


def _totals_live(engine: Engine, since: float, until: float) -> dict[tuple[str, str, str], tuple[int, ...]]:
    from rungway.assessment.facts import assessment_hourly, assessment_rollup_state

    # Count without the roll-up by hiding its watermark for one query.
    with engine.begin() as conn:
        saved = [dict(r._mapping) for r in conn.execute(assessment_rollup_state.select())]
        conn.execute(assessment_rollup_state.delete())
    try:
        return _totals(engine, since, until)
    finally:
        with engine.begin() as conn:
            conn.execute(assessment_rollup_state.insert(), saved)
        assert assessment_hourly is not None


def test_history_claims_and_thresholds_round_trip(engine: Engine, tmp_path: object) -> None:
    from rungway.assessment.service import claim_stage, history, run_assessment, set_org_threshold
    from rungway.settings.config import parse_config
    from rungway.settings.yaml_source import YamlSource
    from tests.servers import environment

    config = parse_config(YamlSource("<test>", {}, {}), environment())
    config.models["m"] = ModelRoute("m", "sim", "gpt-4o-mini", pinned=True)
    insert_requests(engine, _records(time.time(), 50))
    claim_stage(engine, workload="alpha", stage=3, by="team lead")
    with pytest.raises(InvalidRequest):
        claim_stage(engine, workload="alpha", stage=7)
    set_org_threshold(engine, check_id="user_cost_attribution", threshold=0.5, window_days=7)
    run = run_assessment(engine, config)
    alpha = next(a for a in run.assessments if a.workload == "alpha")
    assert alpha.claimed_stage == 3
    attribution = alpha.results["user_cost_attribution"]
    assert attribution.verdict.value == "met" and attribution.threshold == ">= 50% of calls, last 7 days"
    assert alpha.results["model_pinning"].evidence["unpinned_models"] == {}  # pinned when the calls were made
    run_assessment(engine, config, workload="beta")
    rows = history(engine)
    assert [r.workload for r in rows] == ["alpha", "beta", "beta"]
    assert history(engine, "alpha")[0].report["claimed_stage"] == 3


def test_expired_attestation_stops_counting(engine: Engine) -> None:
    from rungway.assessment.service import attest, attestations, run_assessment
    from rungway.settings.config import parse_config
    from rungway.settings.yaml_source import YamlSource
    from tests.servers import environment

    config = parse_config(YamlSource("<test>", {}, {}), environment())
    now = time.time()
    attest(
        engine,
        item="on_call_rotation",
        workload="alpha",
        by="ann",
        link="https://x/rb",
        expires="1d",
        now=now - 2 * DAY,
    )
    attest(engine, item="on_call_rotation", workload="beta", by="bob", link="https://x/rb", expires="90d", now=now)
    assert len(attestations(engine)) == 2
    run = {a.workload: a for a in run_assessment(engine, config, persist=False, now=now).assessments}
    alpha, beta = run["alpha"].results["on_call_rotation"], run["beta"].results["on_call_rotation"]
    assert alpha.verdict.value == "unmet" and "expired" in alpha.reason
    assert beta.verdict.value == "attested" and beta.evidence["by"] == "bob"
    later = {a.workload: a for a in run_assessment(engine, config, persist=False, now=now + 91 * DAY).assessments}
    assert later["beta"].results["on_call_rotation"].verdict.value == "unmet"
