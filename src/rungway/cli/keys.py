"""`rungway keys create|list|revoke`: API keys, straight in the store (gateways pick them up within a second)."""

from __future__ import annotations

import json
import time

import click

from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, console, emit, fmt_time
from rungway.domain.keys import KeyKind, Role
from rungway.services.keys import create_api_key, describe_key, resolve_expiry, revoke_api_key
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
    """Create, list and revoke API keys."""


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
    engine.dispose()
    click.echo(f"Revoked {key.id} ({key.prefix}..., workload {key.workload}).")
