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
    server_url: str | None = None  # RUNGWAY_URL: the server commands that talk over HTTP use (rungway eval run)
    api_key: str | None = None  # RUNGWAY_API_KEY: the key they send


def read_environment() -> Environment:
    env = dict(os.environ)
    return Environment(
        config_path=env.get("RUNGWAY_CONFIG") or None,
        database_url=env.get("RUNGWAY_DATABASE_URL") or None,
        redis_url=env.get("RUNGWAY_REDIS_URL") or None,
        admin_key=env.get("RUNGWAY_ADMIN_KEY") or None,
        ci=env.get("CI", "").lower() in ("1", "true", "yes"),
        server_url=env.get("RUNGWAY_URL") or None,
        api_key=env.get("RUNGWAY_API_KEY") or None,
        variables=env,
    )
