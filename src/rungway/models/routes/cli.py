"""`rungway models routes show|explain`: a workload's routing rules and deployments, and which rule and
plan a described call would get, both from a running server (`/api/models/routes`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from rungway.cli.api_client import DEFAULT_SERVER, connect
from rungway.cli.options import format_option
from rungway.cli.render import Column, emit
from rungway.errors import InvalidRequest
from rungway.models.routes.views import when_text

__all__ = ["explain_command", "routes_group", "show_command"]

F = TypeVar("F", bound=Callable[..., Any])


def server_options(f: F) -> F:
    """`--server URL` and `--key KEY`."""
    f = click.option(
        "--key", "key", metavar="KEY", help="API key (default: $RUNGWAY_API_KEY, else $RUNGWAY_ADMIN_KEY)"
    )(f)
    return click.option(
        "--server", "server", metavar="URL", help=f"the server (default: $RUNGWAY_URL, else {DEFAULT_SERVER})"
    )(f)


RULES = [
    Column("workload", "Workload"),
    Column("name", "Rule"),
    Column("when", "When", when_text),
    Column("strategy", "Strategy"),
    Column("deployments", "Deployments (in order)", lambda v: ", ".join(v)),
    Column("policy", "Retries", lambda v: str(v["retries"]), justify="right"),
]
DEPLOYMENTS = [
    Column("serves", "Model"),
    Column("name", "Deployment"),
    Column("provider", "Provider"),
    Column("upstream_model", "Upstream model"),
    Column("weight", "Weight", lambda v: f"{v:g}", justify="right"),
]


@click.group("routes")
def routes_group() -> None:
    """Routing across models: extra deployments and each workload's rules (`deployments:`, `routing:`)."""


@routes_group.command("show")
@click.option("--workload", "-w", default=None, help="An admin key: this workload only (others: their own)")
@server_options
@format_option("table", "json")
def show_command(workload: str | None, server: str | None, key: str | None, fmt: str) -> None:
    """The workload's routing rules (first match wins) and the deployments of each public model."""
    data = connect(server, key).get("/api/models/routes", {"workload": workload})
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    rules = [{"workload": w["workload"], **r} for w in data["workloads"] for r in w["rules"]]
    if rules:
        emit(rules, RULES, fmt, title="Routing rules (first match wins)")
    else:
        click.echo("No routing rules: each model goes to its deployments by weight.")
    deployments = [d for m in data["models"] for d in m["deployments"]]
    emit(deployments, DEPLOYMENTS, fmt, title="Deployments")


def _tags(values: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise InvalidRequest(f"--tag {value!r} is not KEY=VALUE. Fix: write e.g. --tag tier=gold", param="tag")
        tags[name] = text
    return tags


@routes_group.command("explain")
@click.option("--model", "-m", required=True, help="The model name the call asks for")
@click.option("--workload", "-w", default=None, help="An admin key: the workload (others: their own)")
@click.option("--user", default=None, help="The end user the call names")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag or metadata pair (repeatable)")
@click.option("--prompt-tokens", type=click.IntRange(0, 100_000_000), default=0, help="The prompt's size in tokens")
@click.option("--max-tokens", type=click.IntRange(1, 1_000_000), default=None, help="The call's max_tokens")
@server_options
@format_option("table", "json")
def explain_command(
    model: str,
    workload: str | None,
    user: str | None,
    tags: tuple[str, ...],
    prompt_tokens: int,
    max_tokens: int | None,
    server: str | None,
    key: str | None,
    fmt: str,
) -> None:
    """Which rule and which deployments a call would get (nothing is called; a weighted plan is one draw)."""
    body: dict[str, Any] = {"model": model, "tags": _tags(tags), "prompt_tokens": prompt_tokens}
    for name, value in (("workload", workload), ("user", user), ("max_tokens", max_tokens)):
        if value is not None:
            body[name] = value
    data = connect(server, key).post("/api/models/routes/explain", body)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    rule = data["rule"] or "(none: the model's default route)"
    click.echo(
        f"{data['requested']} -> {data['model']} in {data['workload'] or 'no workload'}: rule {rule}, "
        f"strategy {data['strategy'] or 'single'}, {data['policy']['retries']} retries"
    )
    emit(data["deployments"], DEPLOYMENTS, fmt, title="Deployments, in the order they would be tried")
