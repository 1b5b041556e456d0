"""`rungway keys` in a separate process, against the store a running gateway uses (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from tests.api.http import chat
from tests.cli.run import invoke, invoke_json, rungway
from tests.servers import Gateway


def _eventually(check: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_key_created_by_the_cli_works_on_a_running_gateway_and_stops_when_revoked(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    made = rungway(store_url, "keys", "create", "--workload", "cli-bot", "--owner", "ana", "--format", "json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    secret = created["secret"]
    assert _eventually(lambda: chat(gw, secret) == 200)
    revoked = rungway(store_url, "keys", "revoke", created["key"]["prefix"])
    assert revoked.returncode == 0 and created["key"]["id"] in revoked.stdout
    assert _eventually(lambda: chat(gw, secret) == 401)


def test_key_that_expires_gets_401(gateway_factory: Callable[..., Gateway], sqlite_url: str) -> None:
    gw = gateway_factory(store_url=sqlite_url)
    created = invoke_json(sqlite_url, "keys", "create", "-w", "test", "--expires-in", "2s")
    assert created["key"]["expires_at"] is not None
    assert _eventually(lambda: chat(gw, created["secret"]) == 401)
    listed = invoke_json(sqlite_url, "keys", "list")
    assert [k["status"] for k in listed] == ["expired"]


def test_create_prints_the_secret_once_with_a_warning_and_list_never_shows_it(sqlite_url: str) -> None:
    out = invoke(sqlite_url, "keys", "create", "-w", "support-bot", "--model", "gpt-4o-mini", "--rpm", "10").output
    secret = next(word for word in out.split() if word.startswith("rw-") and len(word) > 20)
    assert "cannot be shown again" in out and "Created workload support-bot" in out
    for fmt in ("table", "json", "csv"):
        listed = invoke(sqlite_url, "keys", "list", "--format", fmt).output
        assert secret not in listed and secret[:11] in listed
    row = invoke_json(sqlite_url, "keys", "list")[0]
    assert row["allowed_models"] == ["gpt-4o-mini"] and row["rpm_limit"] == 10 and "key_hash" not in row


def test_revoked_keys_are_listed_only_with_all(sqlite_url: str) -> None:
    keep = invoke_json(sqlite_url, "keys", "create", "-w", "test", "--name", "keep")
    drop = invoke_json(sqlite_url, "keys", "create", "-w", "test", "--name", "drop")
    invoke(sqlite_url, "keys", "revoke", drop["key"]["id"])
    assert [k["name"] for k in invoke_json(sqlite_url, "keys", "list")] == [keep["key"]["name"]]
    everything = invoke_json(sqlite_url, "keys", "list", "--all")
    assert {k["name"]: k["status"] for k in everything} == {"keep": "active", "drop": "revoked"}


def test_person_keys_are_marked_and_existing_kinds_default_to_application(sqlite_url: str) -> None:
    person = invoke_json(sqlite_url, "keys", "create", "-w", "support-bot", "--person", "--name", "ann")
    app = invoke_json(sqlite_url, "keys", "create", "-w", "support-bot")
    assert (person["key"]["kind"], app["key"]["kind"]) == ("person", "application")
    listed = {k["name"]: k["kind"] for k in invoke_json(sqlite_url, "keys", "list")}
    assert listed == {"ann": "person", "support-bot key": "application"}
