"""The botocore side of the bedrock provider: SigV4 signing and credentials (the event-stream decoder: tests/wire)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.credentials import RefreshableCredentials

from rungway.providers.bedrock_aws import Signer, resolve_credentials
from tests.providers.fake_bedrock import AUTHORIZATION, KEY_ID, SECRET


def test_signer_adds_a_sigv4_authorization_and_session_token() -> None:
    credentials = resolve_credentials(None, KEY_ID, SECRET, "session-token")
    assert credentials is not None
    signer = Signer(credentials, "us-east-1")
    headers = signer.headers(
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse", b"{}", {"Content-Type": "application/json"}
    )
    found = AUTHORIZATION.fullmatch(headers["Authorization"])
    assert found is not None and found["key"] == KEY_ID and found["region"] == "us-east-1"
    assert set(found["signed"].split(";")) >= {"content-type", "host", "x-amz-date", "x-amz-security-token"}
    assert headers["X-Amz-Security-Token"] == "session-token"


def test_credentials_come_from_the_environment_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    credentials = resolve_credentials(None, None, None, None)
    assert credentials is not None and credentials.access_key == "AKIDENV"


def test_temporary_credentials_near_expiry_are_renewed_before_signing() -> None:

    issued: list[str] = []

    def fetch() -> dict[str, str]:
        issued.append("token")
        expiry = datetime.now(UTC) + timedelta(hours=1 if len(issued) > 1 else 0, seconds=60)
        return {
            "access_key": KEY_ID,
            "secret_key": SECRET,
            "token": f"t{len(issued)}",
            "expiry_time": expiry.isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(fetch(), fetch, "test")
    signer = Signer(credentials, "us-east-1")
    assert signer.must_refresh()
    signer.refresh()
    assert not signer.must_refresh()
    assert signer.headers("https://h/model/m/converse", b"{}", {})["X-Amz-Security-Token"] == "t2"
