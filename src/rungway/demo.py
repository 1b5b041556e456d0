"""`make run`: the gateway on SQLite with the offline simulator, a demo key, and snippets to paste.

A key's secret is shown once and only its hash is stored, so the demo keeps its own secrets in
`.rungway/` (gitignored): `demo-key` (recreated when revoked, expired or when the database was
deleted) and `admin-key` (unless RUNGWAY_ADMIN_KEY is set). The port is RUNGWAY_PORT or 4000;
when 4000 is busy another free port is used, and a busy RUNGWAY_PORT is a one-line error. The
banner opens with the dashboard's one-time sign-in link (signed with the admin key, spent on first use).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import socket
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from rungway.capability import migration_packages, registered_sections
from rungway.domain.keys import Role, hash_key
from rungway.errors import ConfigError, RungwayError
from rungway.services.config_check import check_config
from rungway.services.keys import create_api_key
from rungway.settings.config import Config, load_config
from rungway.settings.env import Environment, read_environment
from rungway.store.engine import create_store_engine
from rungway.store.keys import key_by_hash
from rungway.store.migrate import upgrade
from rungway.web.session import signin_token

__all__ = ["DEMO_WORKLOAD", "choose_port", "ensure_admin_key", "ensure_demo_key", "main"]

DEFAULT_PORT = 4000
DEMO_CONFIG = Path("examples/rungway.yaml")
STATE_DIR = Path(".rungway")
DEMO_WORKLOAD = "demo"


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(secret + "\n")
    path.chmod(0o600)


def ensure_admin_key(env: Environment, path: Path) -> str:
    """RUNGWAY_ADMIN_KEY, else the one saved at `path`, else a new one saved there."""
    if env.admin_key:
        return env.admin_key
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    secret = "rw-admin-" + secrets.token_urlsafe(24)
    _write_secret(path, secret)
    return secret


def ensure_demo_key(engine: Engine, path: Path) -> str:
    """The saved demo key's secret if the store still has it active, else a new key's (saved to `path`)."""
    if path.is_file():
        saved = path.read_text().strip()
        key = key_by_hash(engine, hash_key(saved)) if saved else None
        if key is not None and key.is_active(time.time()):
            return saved
    created = create_api_key(
        engine, workload=DEMO_WORKLOAD, name="demo key (make run)", owner="demo-user", role=Role.DEVELOPER
    )
    _write_secret(path, created.secret)
    return created.secret


def _free(host: str, port: int) -> bool:
    """Whether the server could bind `port`: probed the way it binds (SO_REUSEADDR), so connections of
    a server that just stopped (TIME_WAIT) do not make the port look busy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(host: str, requested: str | None) -> tuple[int, str | None]:
    """(port, a note for the user or None). Port 0 lets the system pick a free one."""
    if requested:
        try:
            port = int(requested)
        except ValueError:
            raise ConfigError(f"RUNGWAY_PORT={requested!r} is not a port. Fix: set e.g. RUNGWAY_PORT=4001") from None
        if port and not _free(host, port):
            raise ConfigError(
                f"port {port} on {host} is busy (RUNGWAY_PORT). Fix: stop what uses it, or run "
                f"`RUNGWAY_PORT={port + 1} make run` (RUNGWAY_PORT=0 picks any free port)"
            )
        return port, None
    if _free(host, DEFAULT_PORT):
        return DEFAULT_PORT, None
    return 0, f"Port {DEFAULT_PORT} is busy (another Rungway?), so a free port was picked instead."


def banner(url: str, config: Config, demo_key: str, admin_key: str, admin_from_env: bool) -> str:
    """Everything needed to use the running gateway, ready to paste."""
    base = f"{url}/v1"
    model = "gpt-4o-mini" if "gpt-4o-mini" in config.models else next(iter(config.models), "gpt-4o-mini")
    admin_source = "from RUNGWAY_ADMIN_KEY" if admin_from_env else f"saved in {STATE_DIR / 'admin-key'}"
    cli = ".venv/bin/rungway" if Path(".venv/bin/rungway").exists() else "rungway"
    return f"""
Rungway is running: an OpenAI-compatible gateway with the offline simulator behind it.

  Dashboard      {url}/ui/signin/link?token={signin_token(admin_key)}
                 (a one-time sign-in link, valid for an hour; afterwards sign in at {url}/ui with the admin key)
  Base URL       {base}
  Demo API key   {demo_key}   (workload "{DEMO_WORKLOAD}"; saved in {STATE_DIR / "demo-key"})
  Admin key      {admin_key}   ({admin_source}; for the management API under /api/)
  Store          {config.database_url}
  CLI            {cli} --help   (e.g. `{cli} logs tail`, `{cli} usage --by user`)

Point any OpenAI-compatible tool at it:

export OPENAI_BASE_URL={base}
export OPENAI_API_KEY={demo_key}

curl:

curl {base}/chat/completions \\
  -H "Authorization: Bearer {demo_key}" \\
  -H "Content-Type: application/json" \\
  -d '{{"model": "{model}", "messages": [{{"role": "user", "content": "Hello!"}}]}}'

Python (pip install openai):

from openai import OpenAI
client = OpenAI(base_url="{base}", api_key="{demo_key}")
reply = client.chat.completions.create(model="{model}", messages=[{{"role": "user", "content": "Hello!"}}])
print(reply.choices[0].message.content)

Anthropic Messages API (pip install anthropic):

from anthropic import Anthropic
claude = Anthropic(base_url="{url}", api_key="{demo_key}")
message = claude.messages.create(model="{model}", max_tokens=200, messages=[{{"role": "user", "content": "Hello!"}}])
print(message.content[0].text)

Management API (OpenAPI at {url}/api/openapi.json):

curl -H "Authorization: Bearer {admin_key}" "{url}/api/usage?by=workload&since=1d"

Press Ctrl-C to stop.
"""


def _prepare(env: Environment) -> tuple[Config, str, bool, str]:
    config_path = Path(env.config_path) if env.config_path else DEMO_CONFIG
    if not config_path.is_file():
        raise ConfigError(
            f"{config_path}: no such file. Fix: run `make run` from the Rungway checkout, "
            "or set RUNGWAY_CONFIG=path/to/rungway.yaml"
        )
    admin = ensure_admin_key(env, STATE_DIR / "admin-key")
    config = check_config(
        load_config(config_path, dataclasses.replace(env, admin_key=admin), registered_sections())
    ).config
    engine = create_store_engine(config.database_url)
    try:
        upgrade(engine, migration_packages())
        demo_key = ensure_demo_key(engine, STATE_DIR / "demo-key")
    finally:
        engine.dispose()
    return config, admin, env.admin_key is not None, demo_key


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    env = read_environment()
    try:
        config, admin, admin_from_env, demo_key = _prepare(env)
        port, note = choose_port(config.server.host, env.variables.get("RUNGWAY_PORT"))
        if note:
            print(note, flush=True)
        from rungway.server import serve

        serve(
            config,
            port=port,
            on_ready=lambda url: print(banner(url, config, demo_key, admin, admin_from_env), flush=True),
        )
    except RungwayError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
