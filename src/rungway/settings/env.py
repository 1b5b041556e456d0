"""The one place Rungway reads the process environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Environment:
    """The environment variables Rungway understands, read once."""

    config_path: str | None
    database_url: str | None
    redis_url: str | None
    admin_key: str | None
    ci: bool
    variables: Mapping[str, str]
    server_url: str | None = None  # where CLI commands that talk to a running server send requests
    api_key: str | None = None  # the key those commands send (else the admin key)
    audit_signing_key: str | None = None  # Ed25519 key signing audit checkpoints: base64 of the 32-byte seed, or PEM


def read_environment() -> Environment:
    env = dict(os.environ)
    return Environment(
        config_path=env.get("RUNGWAY_CONFIG") or None,
        database_url=env.get("RUNGWAY_DATABASE_URL") or None,
        redis_url=env.get("RUNGWAY_REDIS_URL") or None,
        admin_key=env.get("RUNGWAY_ADMIN_KEY") or None,
        ci=env.get("CI", "").lower() in ("1", "true", "yes"),
        variables=env,
        server_url=env.get("RUNGWAY_URL") or None,
        api_key=env.get("RUNGWAY_API_KEY") or None,
        audit_signing_key=env.get("RUNGWAY_AUDIT_SIGNING_KEY") or None,
    )
