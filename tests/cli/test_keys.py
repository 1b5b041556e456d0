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


def test_a_limit_changed_by_the_cli_binds_on_a_running_gateway(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = gateway_factory(store_url=store_url)
    created = invoke_json(store_url, "keys", "create", "-w", "cli-bot")
    assert _eventually(lambda: chat(gw, created["secret"]) == 200)
    changed = rungway(store_url, "keys", "update", created["key"]["prefix"], "--models", "gpt-4o")
    assert changed.returncode == 0, changed.stderr
    assert created["key"]["id"] in changed.stdout and "models gpt-4o" in changed.stdout
    assert _eventually(lambda: chat(gw, created["secret"]) == 403)  # gpt-4o-mini is no longer allowed
    assert chat(gw, created["secret"], model="gpt-4o") == 200


def test_update_changes_only_the_options_given_and_none_any_never_clear(sqlite_url: str) -> None:
    made = invoke_json(sqlite_url, "keys", "create", "-w", "test", "--rpm", "10", "--model", "gpt-4o", "--person")
    key_id = made["key"]["id"]
    changed = invoke_json(
        sqlite_url, "keys", "update", key_id, "--tpm", "5_000", "--expires", "30d", "--owner", "ana", "--name", "n"
    )
    assert (changed["rpm_limit"], changed["tpm_limit"], changed["allowed_models"]) == (10, 5000, ["gpt-4o"])
    assert (changed["owner"], changed["name"], changed["kind"]) == ("ana", "n", "person")
    assert 29 * 86400 < changed["expires_at"] - time.time() <= 30 * 86400
    cleared = invoke_json(
        sqlite_url, "keys", "update", key_id, "--rpm", "none", "--models", "any", "--expires", "never", "--owner", ""
    )
    assert (cleared["rpm_limit"], cleared["allowed_models"], cleared["expires_at"]) == (None, [], None)
    assert cleared["owner"] is None and cleared["tpm_limit"] == 5000
    text = invoke(sqlite_url, "keys", "update", key_id, "--models", "gpt-4o-mini,gpt-4o").output
    assert "rpm none, tpm 5000, models gpt-4o-mini, gpt-4o, expires never" in text
    assert invoke_json(sqlite_url, "keys", "list")[0]["allowed_models"] == ["gpt-4o-mini", "gpt-4o"]


def test_a_revoked_key_cannot_be_updated(sqlite_url: str) -> None:
    made = invoke_json(sqlite_url, "keys", "create", "-w", "test", "--rpm", "3")
    invoke(sqlite_url, "keys", "revoke", made["key"]["id"])
    result = rungway(sqlite_url, "keys", "update", made["key"]["id"], "--rpm", "300")
    assert result.returncode == 1 and "revoked and cannot be changed" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert invoke_json(sqlite_url, "keys", "list", "--all")[0]["rpm_limit"] == 3
