"""`record_change`: CLI commands that write the store directly (`rungway keys create|update|revoke`) record
their changes in the same chain, with the operating-system user as the actor and no secret."""

from __future__ import annotations

import json

from rungway.audit.public import record_change
from rungway.audit.service import verify_store
from rungway.audit.store import list_records
from tests.audit.support import open_store
from tests.cli.run import invoke, invoke_json


def test_keys_create_update_and_revoke_from_the_cli_are_recorded(sqlite_url: str) -> None:
    created = invoke_json(sqlite_url, "keys", "create", "--workload", "test", "--name", "ci")
    key_id = created["key"]["id"]
    invoke(sqlite_url, "keys", "update", key_id, "--rpm", "30")
    invoke(sqlite_url, "keys", "revoke", key_id)
    engine = open_store(sqlite_url)
    records = list(reversed(list_records(engine)))
    assert [r.action for r in records] == ["keys.create", "keys.update", "keys.revoke"]
    assert all(r.via == "cli" and r.actor.startswith("cli") and r.object_id == key_id for r in records)
    assert json.loads(records[1].before or "")["rpm_limit"] is None
    assert json.loads(records[1].after or "")["rpm_limit"] == 30
    assert json.loads(records[2].after or "")["status"] == "revoked"
    assert created["secret"] not in json.dumps([r.as_dict() for r in records])
    assert verify_store(engine, None, None).intact


def test_record_change_appends_after_the_servers_records(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    first = record_change(engine, "prompts.label", actor="ann", via="api", request={"token": "t"}, status=409)
    second = record_change(engine, "workloads.update", after={"x": "y" * 100_000})
    assert (first.seq, second.seq) == (1, 2) and second.prev_hash == first.hash
    assert first.request == '{"token":"[redacted]"}' and first.status == 409
    assert json.loads(second.after or "") == {"truncated_bytes": 100_008}
