"""The signing key from the environment: base64 of a seed or PEM, one line naming the fix otherwise."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rungway.audit.chain import verify_signature
from rungway.audit.signing import new_seed, parse_signing_key, public_raw_of_pem, signer_from_env
from rungway.errors import ConfigError


def test_a_seed_and_its_pem_are_the_same_key() -> None:
    seed = new_seed()
    signer = parse_signing_key(seed)
    pem = signer.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()  # fmt: skip
    assert parse_signing_key(pem).key_id == signer.key_id and len(signer.key_id) == 16
    assert public_raw_of_pem(signer.public_pem()) == signer.public_raw
    assert verify_signature(signer.public_raw, b"m", signer.sign(b"m"))
    assert not verify_signature(signer.public_raw, b"n", signer.sign(b"m"))


@pytest.mark.parametrize(
    "text", ["not base64!", "AAAA", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"]
)
def test_a_bad_key_names_the_variable_and_the_fix(text: str) -> None:
    with pytest.raises(ConfigError, match=r"RUNGWAY_AUDIT_SIGNING_KEY.*Fix: set"):
        parse_signing_key(text)


def test_the_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNGWAY_AUDIT_SIGNING_KEY", raising=False)
    assert signer_from_env() is None
    raw = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                     serialization.NoEncryption())  # fmt: skip
    import base64

    monkeypatch.setenv("RUNGWAY_AUDIT_SIGNING_KEY", base64.b64encode(raw).decode())
    signer = signer_from_env()
    assert signer is not None and signer.private.private_bytes_raw() == raw
