"""The Ed25519 key that signs audit checkpoints, read from RUNGWAY_AUDIT_SIGNING_KEY.

The variable holds the private key as base64 of its raw 32-byte seed (`rungway audit keygen` prints one) or as
PEM (PKCS#8). Without it checkpoints are written unsigned and `rungway audit verify` says so. Signing and
verifying use `cryptography`; the key's id is the first 16 hex digits of the SHA-256 of its public key.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from rungway.audit.chain import key_id_of
from rungway.errors import ConfigError
from rungway.settings.env import read_environment

__all__ = ["ENV_VAR", "Signer", "new_seed", "parse_signing_key", "signer_from_env"]

ENV_VAR = "RUNGWAY_AUDIT_SIGNING_KEY"


@dataclass(frozen=True)
class Signer:
    """A private key that signs checkpoints, with its public half."""

    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def parse_signing_key(text: str) -> Signer:
    """A signer from base64 of a 32-byte seed or from a PEM private key; a ConfigError saying the fix otherwise."""
    text = text.strip()
    fix = f"Fix: set {ENV_VAR} to the output of `rungway audit keygen` (base64 of a 32-byte seed) or to a PEM key"
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{ENV_VAR} is not a readable PEM private key ({exc}). {fix}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{ENV_VAR} holds a {type(key).__name__}, not an Ed25519 key. {fix}")
        return Signer(key)
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{ENV_VAR} is neither PEM nor base64. {fix}") from None
    if len(seed) != 32:
        raise ConfigError(f"{ENV_VAR} decodes to {len(seed)} bytes; an Ed25519 seed is 32. {fix}")
    return Signer(Ed25519PrivateKey.from_private_bytes(seed))


def signer_from_env() -> Signer | None:
    """The signer RUNGWAY_AUDIT_SIGNING_KEY names, or None when it is not set."""
    text = read_environment().audit_signing_key
    return None if text is None else parse_signing_key(text)


def new_seed() -> str:
    """A fresh private key as base64 of its 32-byte seed (what RUNGWAY_AUDIT_SIGNING_KEY takes)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def public_raw_of_pem(pem: bytes) -> bytes:
    """The raw public key of a PEM public key file (`rungway audit verify --public-key`)."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(
            f"the public key is a {type(key).__name__}, not Ed25519. Fix: pass the export's public_key.pem"
        )
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
