"""Retention erases content past its workload's retention, never records: the chain and its signed checkpoints
still verify, an erased record is as tamper-evident as a kept one, legal holds stop erasure, records of the first
format are kept whole, and two replicas erasing at once count each record once. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, insert, select, update

from rungway.audit.chain import ERASED, GENESIS, content_digest, record_hash
from rungway.audit.config import AuditSettings
from rungway.audit.retention import erase_expired, list_holds, place_hold, release_hold
from rungway.audit.service import export_bundle, maybe_checkpoint, verify_store
from rungway.audit.signing import parse_signing_key
from rungway.audit.store import audit_head, audit_records, iter_records, list_records
from rungway.cli.main import cli
from rungway.domain.keys import Role
from rungway.store.engine import create_store_engine
from tests.api.http import call
from tests.audit.support import open_store, seed_changes
from tests.conftest import SIMULATOR_CONFIG
from tests.servers import Gateway

SEED = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
DAY = 86_400.0


def _age(engine: Engine, days: float, workload: str | None = None) -> None:
    """Move records (of `workload`, or all) `days` into the past."""
    query = update(audit_records).values(ts=audit_records.c.ts - days * DAY)
    if workload is not None:
        query = query.where(audit_records.c.workload == workload)
    with engine.begin() as conn:
        conn.execute(query)


def _reseal(engine: Engine) -> None:
    """Recompute the chain after `_age` moved timestamps (a test's shortcut, not something a store ever does)."""
    prev = GENESIS
    with engine.begin() as conn:
        for row in conn.execute(select(audit_records).order_by(audit_records.c.seq)).all():
            record = {**row._mapping, "prev_hash": prev}
            prev = record_hash(record)
            at_seq = audit_records.c.seq == row.seq
            conn.execute(update(audit_records).where(at_seq).values(prev_hash=record["prev_hash"], hash=prev))
        conn.execute(update(audit_head).values(hash=prev))


def _aged_store(url: str) -> Engine:
    engine = open_store(url)
    seed_changes(engine, 4, workload="short")
    seed_changes(engine, 3, workload="long")
    _age(engine, 40)
    seed_changes(engine, 2, workload="short")  # recent
    _reseal(engine)
    return engine


SETTINGS = AuditSettings(retention_days=30, workload_retention_days=(("long", 365.0),))


def test_content_past_retention_is_erased_and_the_chain_still_verifies(store_url: str) -> None:
    engine = _aged_store(store_url)
    signer = parse_signing_key(SEED)
    assert maybe_checkpoint(engine, AuditSettings(checkpoint_every=1), signer, time.time()) is not None
    before = {r.seq: r for r in iter_records(engine)}
    run = erase_expired(engine, SETTINGS, time.time())
    assert run.erased == 4 and run.by_workload == {"short": 4}
    after = {r.seq: r for r in iter_records(engine)}
    for seq in (1, 2, 3, 4):  # short, 40 days old, 30 days' retention
        assert after[seq].before == ERASED + str(content_digest(before[seq].before))
        assert after[seq].hash == before[seq].hash
    assert all(after[s] == before[s] for s in (5, 6, 7, 8, 9))  # long (365 days) and recent: kept whole
    erasure = after[10]  # the run is itself on the record
    assert (
        erasure.action == "audit.retention.erase" and erasure.via == "system" and '"erased":4' in str(erasure.request)
    )
    report = verify_store(engine, None, signer.public_raw)
    assert report.intact and report.erased == 4 and report.signed_ok == 1, report.summary()
    assert "4 past retention" in report.summary()
    assert erase_expired(engine, SETTINGS, time.time()).erased == 0  # nothing left to erase: no second record
    assert len(list(iter_records(engine))) == 10
    engine.dispose()


def test_an_erased_record_is_as_tamper_evident_as_a_kept_one(sqlite_url: str) -> None:
    engine = _aged_store(sqlite_url)
    erase_expired(engine, SETTINGS, time.time())
    with engine.begin() as conn:
        conn.execute(update(audit_records).where(audit_records.c.seq == 2).values(before=ERASED + "0" * 64))
    report = verify_store(engine, None, None)
    assert not report.intact and report.problems[0].kind == "changed" and report.problems[0].seq == 2
    with engine.begin() as conn:  # a kept record made to look erased (its true digest) is a changed one too
        row = conn.execute(select(audit_records).where(audit_records.c.seq == 6)).one()
        conn.execute(update(audit_records).where(audit_records.c.seq == 6)
                     .values(status=299, after=ERASED + str(content_digest(row.after))))  # fmt: skip
    assert [p.seq for p in verify_store(engine, None, None).problems] == [2, 6]
    engine.dispose()


def test_legal_holds_stop_erasure_until_released(store_url: str) -> None:
    engine = _aged_store(store_url)
    place_hold(engine, "short", "matter 2026-114", "ann", time.time())
    assert erase_expired(engine, SETTINGS, time.time()).erased == 0
    place_hold(engine, "short", "matter 2026-114 (extended)", "bob", time.time())  # restated, not doubled
    assert [(h.workload, h.reason, h.actor) for h in list_holds(engine)] == [("short", "matter 2026-114 (extended)",
                                                                               "bob")]  # fmt: skip
    released = release_hold(engine, "short")
    assert released is not None and (released.reason, released.actor) == ("matter 2026-114 (extended)", "bob")
    assert release_hold(engine, "short") is None
    place_hold(engine, "*", "litigation: everything", "ann", time.time())
    assert erase_expired(engine, SETTINGS, time.time()).erased == 0
    release_hold(engine, "*")
    assert erase_expired(engine, SETTINGS, time.time()).erased == 4
    engine.dispose()


def test_first_format_records_are_kept_whole_and_verify(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    first = {
        "seq": 1, "id": "aud_first", "ts": time.time() - 400 * DAY, "actor": "ann", "key_id": None, "via": "cli",
        "action": "keys.update", "object_type": "keys", "object_id": "k", "workload": "short", "request": None,
        "before": '{"rpm":1}', "after": '{"rpm":2}', "status": 200, "prev_hash": GENESIS, "format": None,
    }  # fmt: skip
    first["hash"] = record_hash(first)
    with engine.begin() as conn:
        conn.execute(insert(audit_records).values(**first))
        conn.execute(update(audit_head).values(seq=1, hash=first["hash"]))
    seed_changes(engine, 1, workload="short")
    assert erase_expired(engine, AuditSettings(retention_days=1), time.time()).erased == 0
    assert list_records(engine, workload="short")[-1].before == '{"rpm":1}'
    with engine.begin() as conn:  # erased by hand: a first-format record is never erased, so it was changed
        conn.execute(update(audit_records).where(audit_records.c.seq == 1)
                     .values(before=ERASED + str(content_digest('{"rpm":1}'))))  # fmt: skip
    report = verify_store(engine, None, None)
    assert [p.seq for p in report.problems] == [1] and "first format" in report.problems[0].message
    engine.dispose()


def test_two_replicas_erasing_at_once_erase_and_count_each_record_once(store_url: str) -> None:
    engine = _aged_store(store_url)
    engine.dispose()
    engines = [create_store_engine(store_url) for _ in range(2)]
    runs: list[int] = []

    def erase(e: Engine) -> None:
        runs.append(erase_expired(e, SETTINGS, time.time(), batch=1).erased)

    threads = [threading.Thread(target=erase, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(runs) == 4
    assert verify_store(engines[0], None, None).intact
    for e in engines:
        e.dispose()


def test_an_export_with_erased_records_checks_with_its_own_verify_script(sqlite_url: str, tmp_path: Path) -> None:
    engine = _aged_store(sqlite_url)
    erase_expired(engine, SETTINGS, time.time())
    bundle = export_bundle(engine, tmp_path / "bundle", None, None, None, None)
    engine.dispose()
    done = subprocess.run([sys.executable, str(bundle.directory / "verify.py"), str(bundle.directory)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 past retention: content erased" in done.stdout


def audit(url: str, *args: str, config: Path | None = None) -> Result:
    env = {"RUNGWAY_DATABASE_URL": url, "RUNGWAY_CONFIG": None if config is None else str(config)}
    return CliRunner().invoke(cli, ["audit", *args], env=env)


def test_cli_holds_release_and_erase(sqlite_url: str, tmp_path: Path) -> None:
    engine = _aged_store(sqlite_url)
    config = tmp_path / "rungway.yaml"
    config.write_text("audit:\n  retention_days: 30\n  workload_retention_days:\n    long: 365\n")
    placed = audit(sqlite_url, "hold", "short", "--reason", "matter 7")
    assert placed.exit_code == 0 and "Hold placed on short" in placed.output
    held = audit(sqlite_url, "holds", "--format", "json")
    assert held.exit_code == 0 and '"reason": "matter 7"' in held.output
    kept = audit(sqlite_url, "erase", config=config)
    assert kept.exit_code == 0 and "content of 0 record(s)" in kept.output
    assert audit(sqlite_url, "release", "short").exit_code == 0
    missing = audit(sqlite_url, "release", "short")
    assert missing.exit_code == 1 and "no hold on short" in missing.output and "Traceback" not in missing.output
    done = audit(sqlite_url, "erase", config=config)
    assert done.exit_code == 0 and "content of 4 record(s) (short: 4)" in done.output
    actions = [r.action for r in list_records(engine, limit=5)]
    assert actions[:3] == ["audit.retention.erase", "audit.hold.release", "audit.hold.place"]
    assert audit(sqlite_url, "verify").exit_code == 0
    bad = audit(sqlite_url, "hold", "short", "--reason", " ")
    assert bad.exit_code == 2 and "--reason" in bad.output
    nothing = audit(sqlite_url, "erase")
    assert nothing.exit_code == 0 and "Nothing to erase" in nothing.output
    engine.dispose()


@pytest.mark.parametrize("text", ["audit:\n  retention_days: -1\n", "audit:\n  workload_retention_days: 30\n",
                                  "audit:\n  workload_retention_days:\n    a: forever\n",
                                  "audit:\n  retention_check_minutes: 0\n"])  # fmt: skip
def test_bad_retention_settings_name_the_key_and_the_fix(tmp_path: Path, text: str) -> None:
    config = tmp_path / "rungway.yaml"
    config.write_text(text)
    done = CliRunner().invoke(cli, ["config", "check", str(config)], env={"RUNGWAY_CONFIG": None})
    said = done.output + str(done.exception)  # the CLI's entry point prints a ConfigError as this one line
    assert done.exit_code != 0 and "rungway.yaml:" in said and "audit." in said and "Fix" in said


def test_api_holds_are_for_admins_and_captured(gateway: Gateway) -> None:
    assert call(gateway, "PUT", "/api/audit/holds/claims", body={"reason": "matter 9"})[0] == 200
    status, listed = call(gateway, "GET", "/api/audit/holds")
    assert status == 200 and [(h["workload"], h["reason"]) for h in listed["data"]] == [("claims", "matter 9")]
    developer = gateway.create_key("claims", role=Role.DEVELOPER).secret
    assert call(gateway, "GET", "/api/audit/holds", developer)[0] == 403
    assert call(gateway, "DELETE", "/api/audit/holds/claims", developer)[0] == 403
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "ok", "until": 1}, {"reason": 5}):
        status, answer = call(gateway, "PUT", "/api/audit/holds/claims", body=body)
        assert status == 400 and answer["error"]["type"] == "invalid_request_error", (body, answer)
    assert call(gateway, "PUT", "/api/audit/holds/" + "w" * 65, body={"reason": "r"})[0] == 400
    status, released = call(gateway, "DELETE", "/api/audit/holds/claims")
    assert status == 200 and released["reason"] == "matter 9"
    assert call(gateway, "DELETE", "/api/audit/holds/claims")[0] == 404
    found = list_records(gateway.state.engine, action="* /api/audit/holds*", limit=20)
    done = [(r.action, r.status) for r in found if r.status < 400]
    assert done == [("DELETE /api/audit/holds/{workload}", 200), ("PUT /api/audit/holds/{workload}", 200)]
    assert sum(r.status == 400 for r in found) == 6 and sum(r.status == 403 for r in found) == 1  # refused: on record


def test_api_shows_erased_content_as_its_digest(gateway: Gateway) -> None:
    engine = gateway.state.engine
    seed_changes(engine, 2, workload="short")
    _age(engine, 40)
    _reseal(engine)
    assert erase_expired(engine, AuditSettings(retention_days=30), time.time()).erased == 2
    status, listed = call(gateway, "GET", "/api/audit?workload=short")
    assert status == 200
    record = listed["data"][-1]
    assert record["erased"] is True and record["format"] == 2
    assert set(record["before"]) == {"erased_sha256"} and len(record["before"]["erased_sha256"]) == 64


def test_a_server_erases_what_passed_its_retention_in_the_background(
    gateway_factory: Callable[..., Gateway], sqlite_url: str
) -> None:
    engine = _aged_store(sqlite_url)
    engine.dispose()
    gw = gateway_factory(SIMULATOR_CONFIG + "audit:\n  retention_days: 30\n", store_url=sqlite_url)
    deadline = time.time() + 20
    while time.time() < deadline:
        if any(r.action == "audit.retention.erase" for r in list_records(gw.state.engine, limit=3)):
            break
        time.sleep(0.1)
    erased_now = [r.seq for r in iter_records(gw.state.engine) if r.before and r.before.startswith(ERASED)]
    assert erased_now == [1, 2, 3, 4, 5, 6, 7]  # 30 days for every workload here: "long" too
    assert verify_store(gw.state.engine, None, None).intact
