"""`rungway keys create|list|update|revoke`: API keys, straight in the store (gateways pick them up within a second)."""

from __future__ import annotations

import json
import time

import click

from rungway.audit.public import record_change
from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, console, emit, fmt_time
from rungway.domain.keys import KeyKind, Role
from rungway.domain.timespec import TimeSpecError, parse_duration
from rungway.errors import InvalidRequest
from rungway.services.keys import (
    KEEP,
    KeyChange,
    Unchanged,
    create_api_key,
    describe_key,
    find_key,
    resolve_expiry,
    revoke_api_key,
    update_api_key,
)
from rungway.settings.config import INT64_MAX
from rungway.store.keys import list_keys

__all__ = ["keys_group"]

KEY_COLUMNS = [
    Column("id", "ID"),
    Column("prefix", "Prefix"),
    Column("name", "Name"),
    Column("workload", "Workload"),
    Column("role", "Role"),
    Column("kind", "Kind"),
    Column("owner", "Owner"),
    Column("allowed_models", "Models", lambda v: ", ".join(v) if v else "any"),
    Column("rpm_limit", "RPM", justify="right"),
    Column("tpm_limit", "TPM", justify="right"),
    Column("expires_at", "Expires", fmt_time),
    Column("status", "Status"),
]


@click.group("keys")
def keys_group() -> None:
    """Create, list, change and revoke API keys."""


@keys_group.command("create")
@click.option("--workload", "-w", required=True, help="Workload the key belongs to (created if new)")
@click.option("--name", default="", help="A label to recognise the key by")
@click.option("--owner", default=None, help="User that calls are attributed to when the caller names none")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.DEVELOPER.value, show_default=True)
@click.option("--model", "models", multiple=True, help="Allow only this model (repeat for several; default: any)")
@click.option("--rpm", type=click.IntRange(min=1), default=None, help="Requests per minute for this key")
@click.option("--tpm", type=click.IntRange(min=1), default=None, help="Tokens per minute for this key")
@click.option("--expires-in", default=None, help="Expire after a duration: 30d, 12h, 90m")
@click.option("--expires-at", default=None, help="Expire at an ISO 8601 date/time (UTC unless it says)")
@click.option("--person", is_flag=True, help="A person's key (may attest maturity items), not an application's")
@format_option("text", "json")
@config_option
def create_key(
    workload: str,
    name: str,
    owner: str | None,
    role: str,
    models: tuple[str, ...],
    rpm: int | None,
    tpm: int | None,
    expires_in: str | None,
    expires_at: str | None,
    person: bool,
    fmt: str,
    config_path: str | None,
) -> None:
    """Create an API key; its secret is printed once and never stored."""
    engine = open_store(config_path)
    created = create_api_key(
        engine,
        workload=workload,
        name=name,
        owner=owner,
        role=Role(role),
        allowed_models=models,
        rpm_limit=rpm,
        tpm_limit=tpm,
        expires_at=resolve_expiry(expires_at, expires_in, time.time()),
        kind=KeyKind.PERSON if person else KeyKind.APPLICATION,
    )
    record_change(engine, "keys.create", object_type="keys", object_id=created.key.id, workload=workload,
                  after=describe_key(created.key))  # fmt: skip
    engine.dispose()
    if fmt == "json":
        payload = {"key": describe_key(created.key), "secret": created.secret}
        click.echo(json.dumps({**payload, "workload_created": created.workload_created}, indent=2))
        return
    out = console()
    if created.workload_created:
        out.print(f"Created workload [bold]{workload}[/bold] with default settings.")
    out.print(f"Created key [bold]{created.key.id}[/bold] ({created.key.prefix}...) for workload {workload}.")
    out.print(f"\n  {created.secret}\n", soft_wrap=True, markup=False)
    out.print("[yellow]Copy it now: Rungway stores only its hash, so this secret cannot be shown again.[/yellow]")


@keys_group.command("list")
@click.option("--workload", "-w", default=None, help="Only this workload's keys")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys")
@format_option("table", "json", "csv")
@config_option
def list_command(workload: str | None, include_revoked: bool, fmt: str, config_path: str | None) -> None:
    """List API keys (never their secrets)."""
    engine = open_store(config_path)
    keys = list_keys(engine, workload, include_revoked)
    engine.dispose()
    now = time.time()
    emit([describe_key(k, now) for k in keys], KEY_COLUMNS, fmt, title="API keys")


@keys_group.command("revoke")
@click.argument("key_id")
@config_option
def revoke_command(key_id: str, config_path: str | None) -> None:
    """Revoke KEY_ID (an id or a visible prefix); gateways reject it within a second."""
    engine = open_store(config_path)
    key = revoke_api_key(engine, key_id)
    record_change(engine, "keys.revoke", object_type="keys", object_id=key.id, workload=key.workload,
                  after=describe_key(key))  # fmt: skip
    engine.dispose()
    click.echo(f"Revoked {key.id} ({key.prefix}..., workload {key.workload}).")


# `keys update` options: left out, a field is kept (KEEP); given, it is parsed here so that a bad
# value is a one-line usage error naming the option.


def _kept_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | Unchanged:
    return KEEP if value is None else value


def _limit_value(ctx: click.Context, param: click.Parameter, value: str | None) -> int | Unchanged | None:
    if value is None:
        return KEEP
    text = value.strip().lower().replace("_", "").replace(",", "")
    if text == "none":
        return None
    if not text.isdigit() or not 1 <= int(text) <= INT64_MAX:
        raise click.BadParameter(f"{value!r} is not a limit: write a whole number from 1, or none to remove it")
    return int(text)


def _models_value(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | Unchanged:
    if value is None:
        return KEEP
    if value.strip().lower() in ("", "any"):
        return ()
    return tuple(m.strip() for m in value.split(",") if m.strip())


def _expiry_value(ctx: click.Context, param: click.Parameter, value: str | None) -> float | Unchanged | None:
    if value is None:
        return KEEP
    text = value.strip()
    if text.lower() == "never":
        return None
    try:
        parse_duration(text)
        given_in: str | None = text  # a duration counts from now
    except TimeSpecError:
        given_in = None
    try:
        return resolve_expiry(None if given_in else text, given_in, time.time())
    except InvalidRequest:
        raise click.BadParameter(
            f"{value!r} is not an expiry: write a duration from now (30d, 12h), an ISO 8601 date/time, or never"
        ) from None


@keys_group.command("update")
@click.argument("key_id")
@click.option("--name", default=None, callback=_kept_text, help="A new label")
@click.option("--owner", default=None, callback=_kept_text, help="User calls are attributed to ('' for none)")
@click.option(
    "--models", default=None, callback=_models_value, help="Allow only these models, comma-separated; any: every model"
)
@click.option("--rpm", default=None, callback=_limit_value, metavar="N|none", help="Requests per minute for this key")
@click.option("--tpm", default=None, callback=_limit_value, metavar="N|none", help="Tokens per minute for this key")
@click.option(
    "--expires",
    default=None,
    callback=_expiry_value,
    metavar="30d|DATE|never",
    help="Expire after a duration from now, at an ISO 8601 date/time, or never",
)
@format_option("text", "json")
@config_option
def update_command(
    key_id: str,
    name: str | Unchanged,
    owner: str | Unchanged | None,
    models: tuple[str, ...] | Unchanged,
    rpm: int | Unchanged | None,
    tpm: int | Unchanged | None,
    expires: float | Unchanged | None,
    fmt: str,
    config_path: str | None,
) -> None:
    """Change KEY_ID's limits, allowed models, expiry, name or owner (only the options given).

    Running gateways apply the change within a second; the key's secret, workload and role stay."""
    change = KeyChange(name, owner, models, rpm, tpm, expires)
    engine = open_store(config_path)
    try:
        before = None if change.is_empty() else describe_key(find_key(engine, key_id))  # nothing to change: refused
        key = update_api_key(engine, key_id, change)
        record_change(engine, "keys.update", object_type="keys", object_id=key.id, workload=key.workload,
                      before=before, after=describe_key(key))  # fmt: skip
    finally:
        engine.dispose()
    shown = describe_key(key)
    if fmt == "json":
        click.echo(json.dumps(shown, indent=2))
        return
    allowed = ", ".join(key.allowed_models) or "any"
    limits = f"rpm {key.rpm_limit or 'none'}, tpm {key.tpm_limit or 'none'}, models {allowed}"
    expires_text = fmt_time(key.expires_at) or "never"
    click.echo(f"Updated {key.id} ({key.prefix}..., workload {key.workload}): {limits}, expires {expires_text}.")
