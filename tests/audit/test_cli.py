"""`rungway audit verify|list|export|keygen` against a real store, and the exported bundle checked by its own
`verify.py` in a separate process (the standard library and `cryptography` only, as an auditor runs it)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import delete, update

from rungway.audit.config import AuditSettings
from rungway.audit.service import maybe_checkpoint
from rungway.audit.signing import parse_signing_key
from rungway.audit.store import audit_records
from rungway.cli.main import cli
from tests.audit.support import open_store, seed_changes

SEED = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def audit(url: str, *args: str, key: str | None = SEED) -> Result:
    env = {"RUNGWAY_DATABASE_URL": url, "RUNGWAY_CONFIG": None, "RUNGWAY_AUDIT_SIGNING_KEY": key}
    return CliRunner().invoke(cli, ["audit", *args], env=env)


def _seeded(url: str) -> None:
    engine = open_store(url)
    seed_changes(engine, 6)
    seed_changes(engine, 3, workload="other")
    assert maybe_checkpoint(engine, AuditSettings(), parse_signing_key(SEED), time.time()) is not None
    seed_changes(engine, 2)
    engine.dispose()


def test_verify_passes_then_names_the_changed_record(sqlite_url: str) -> None:
    _seeded(sqlite_url)
    done = audit(sqlite_url, "verify")
    assert done.exit_code == 0, done.output
    assert "11 record(s), seq 1..11" in done.output and "1 signature(s) verified" in done.output
    engine = open_store(sqlite_url)
    with engine.begin() as conn:
        conn.execute(update(audit_records).where(audit_records.c.seq == 4).values(status=500))
    done = audit(sqlite_url, "verify")
    assert done.exit_code == 1 and "changed: record 4" in done.output
    assert audit(sqlite_url, "verify", "--since", "5").exit_code == 0


def test_verify_names_a_removed_record(sqlite_url: str) -> None:
    _seeded(sqlite_url)
    engine = open_store(sqlite_url)
    with engine.begin() as conn:
        conn.execute(delete(audit_records).where(audit_records.c.seq == 2))
    done = audit(sqlite_url, "verify")
    assert done.exit_code == 1 and "removed: record(s) 2 removed" in done.output


def test_verify_without_a_key_says_checkpoints_are_unsigned(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    seed_changes(engine, 2)
    maybe_checkpoint(engine, AuditSettings(), None, time.time())
    done = audit(sqlite_url, "verify", key=None)
    assert done.exit_code == 0 and "UNSIGNED" in done.output and "RUNGWAY_AUDIT_SIGNING_KEY" in done.output


def test_list_filters_by_workload(sqlite_url: str) -> None:
    _seeded(sqlite_url)
    done = audit(sqlite_url, "list", "--workload", "other", "--format", "json")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)
    assert [r["seq"] for r in rows] == [9, 8, 7] and rows[0]["before"] == {"rpm": 2}
    assert "keys.update" in audit(sqlite_url, "list", "--limit", "2").output


def test_keygen_prints_a_key_the_servers_accept(sqlite_url: str) -> None:
    seed = audit(sqlite_url, "keygen").output.strip()
    assert parse_signing_key(seed).key_id != parse_signing_key(SEED).key_id


def _run_verify(bundle: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "verify.py", "."], cwd=bundle, capture_output=True, text=True,
                          timeout=60, check=False, env={"PATH": "/usr/bin:/bin"})  # fmt: skip


def test_an_export_is_checked_by_its_own_script(sqlite_url: str, tmp_path: Path) -> None:
    _seeded(sqlite_url)
    bundle = tmp_path / "bundle"
    done = audit(sqlite_url, "export", "--workload", "test", "--since", "2", "--out", str(bundle))
    assert done.exit_code == 0, done.output
    assert {p.name for p in bundle.iterdir()} >= {"records.jsonl", "checkpoints.jsonl", "public_key.pem", "verify.py"}
    tree = ast.parse((bundle / "verify.py").read_text())
    imports = {n.names[0].name if isinstance(n, ast.Import) else n.module
               for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)}  # fmt: skip
    assert not any(str(name).startswith("rungway") for name in imports)
    rows = [json.loads(line) for line in (bundle / "records.jsonl").read_text().splitlines()]
    assert [r["seq"] for r in rows] == list(range(2, 12))
    assert [r["seq"] for r in rows if r.get("omitted")] == [7, 8, 9] and "actor" not in rows[5]
    checked = _run_verify(bundle)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 signature(s) verified" in checked.stdout and "3 of other workloads" in checked.stdout
    rows[2]["actor"] = "mallory"
    (bundle / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    tampered = _run_verify(bundle)
    assert tampered.returncode == 1 and "changed: record 4" in tampered.stdout
