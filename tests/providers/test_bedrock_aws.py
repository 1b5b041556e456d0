"""The botocore side of the bedrock provider: event-stream decoding with its caps, SigV4 signing, credentials."""

from __future__ import annotations

import binascii
import contextlib
import struct
from datetime import UTC, datetime, timedelta

import pytest
from botocore.credentials import RefreshableCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from rungway.providers.bedrock_aws import EventDecoder, EventStreamBroken, Signer, resolve_credentials
from tests.providers.fake_bedrock import AUTHORIZATION, KEY_ID, SECRET, encode_message, event, exception


def decode(wire: bytes, step: int = 7, cap: int = 1 << 20) -> list[tuple[str, str, bytes]]:
    decoder = EventDecoder(cap)
    out = []
    for start in range(0, len(wire), step):
        out += [(m.message_type, m.event_type, m.payload) for m in decoder.feed(wire[start : start + step])]
    assert decoder.pending == 0
    return out


def test_messages_split_anywhere_are_decoded() -> None:
    wire = event("messageStart", {"role": "assistant"}) + exception("throttlingException", "slow down")
    for step in (1, 5, 64, len(wire)):
        assert decode(wire, step) == [
            ("event", "messageStart", b'{"role":"assistant"}'),
            ("exception", "throttlingException", b'{"message":"slow down"}'),
        ]


def test_a_bad_message_crc_is_refused() -> None:
    with pytest.raises(EventStreamBroken, match="ChecksumMismatch"):
        decode(event("messageStart", {}, corrupt=True))


def test_a_bad_prelude_crc_is_refused() -> None:
    wire = bytearray(event("messageStart", {}))
    wire[3] ^= 0x01  # total length changes; the prelude CRC no longer matches
    with pytest.raises(EventStreamBroken, match="ChecksumMismatch"):
        decode(bytes(wire))


def test_a_message_over_the_cap_is_refused_before_it_is_buffered_whole() -> None:
    decoder = EventDecoder(1000)
    huge = encode_message({":message-type": "event", ":event-type": "x"}, b"x" * 5000)
    with pytest.raises(EventStreamBroken, match="exceeded 1000 bytes"):
        for start in range(0, len(huge), 512):
            list(decoder.feed(huge[start : start + 512]))


def test_a_prelude_claiming_a_giant_payload_is_refused() -> None:
    prelude = struct.pack(">II", 64 * 1024 * 1024, 0)
    wire = prelude + struct.pack(">I", binascii.crc32(prelude)) + b"x" * 100
    with pytest.raises(EventStreamBroken, match="InvalidPayloadLength"):
        decode(wire)


def test_error_messages_carry_their_code() -> None:
    wire = encode_message({":message-type": "error", ":error-code": "InternalFailure"}, b"")
    assert decode(wire) == [("error", "InternalFailure", b"")]


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


def test_a_header_of_an_unknown_type_is_refused() -> None:
    wire = encode_message({":event-type": "x"}, b"{}").replace(b"\x07\x00\x01x", b"\x63\x00\x01x")
    with pytest.raises(EventStreamBroken):
        decode(wire)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 60))
def test_random_bytes_only_ever_raise_event_stream_broken(noise: bytes, cut: int) -> None:
    """Whatever the upstream sends, the decoder yields messages or raises EventStreamBroken."""
    good = event("messageStart", {"role": "assistant"})
    for wire in (noise, good[:cut] + noise, good + noise):
        decoder = EventDecoder(1000)
        with contextlib.suppress(EventStreamBroken):
            decoder.feed(wire)


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
