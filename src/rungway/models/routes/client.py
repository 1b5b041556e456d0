"""Where `rungway models routes` connects: the models capability's client (`models/client.py`) for the
server and key given, or those of the environment.

The routes live in the server's configuration, so the CLI asks the server (the key's workload scope
applies) rather than reading a file that may differ from what the server loaded.
"""

from __future__ import annotations

from rungway.errors import ConfigError
from rungway.models.client import DEFAULT_SERVER, ModelsClient
from rungway.settings.env import read_environment

__all__ = ["DEFAULT_SERVER", "connect"]


def connect(server: str | None, key: str | None) -> ModelsClient:
    """A client for the server and key given, or those of the environment."""
    env = read_environment()
    secret = key or env.api_key or env.admin_key
    if not secret:
        raise ConfigError("no API key to act with. Fix: pass --key, or set RUNGWAY_API_KEY (or RUNGWAY_ADMIN_KEY)")
    url = server or env.server_url or DEFAULT_SERVER
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"--server {url!r} is not a URL. Fix: write e.g. {DEFAULT_SERVER}")
    return ModelsClient(url, secret)
