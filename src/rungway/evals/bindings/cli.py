"""`rungway eval bind|unbind|bindings`: datasets bound to a workload's prompts, on the store (the `eval` group
in runs/cli.py imports this module only when one of them is named).

Like `rungway datasets`, these work on the database directly (no server needed) and act as the operator.
"""

from __future__ import annotations

import click

from rungway.cli.options import config_option, format_option, open_store
from rungway.cli.render import Column, emit, fmt_time
from rungway.evals.actor import Actor
from rungway.evals.bindings import service

__all__ = ["bind_command", "bindings_command", "unbind_command"]

COLUMNS = [
    Column("workload", "Workload"),
    Column("prompt", "Prompt"),
    Column("dataset", "Dataset"),
    Column("requirement", "Requirement"),
    Column("created_at", "Bound (UTC)", fmt_time),
]

_workload = click.option("--workload", "-w", required=True, help="The workload whose prompt this is")
_prompt = click.option("--prompt", "-p", required=True, help="The prompt's name")
_dataset = click.option("--dataset", "-d", required=True, help="The dataset's name (the workload's or a shared one)")


@click.command("bind")
@_workload
@_prompt
@_dataset
@click.option("--require", "requirement", default=service.DEFAULT_REQUIREMENT, show_default=True,
              help="What a run must reach: pass_rate>=X or pass_rate_low>=X")  # fmt: skip
@config_option
def bind_command(workload: str, prompt: str, dataset: str, requirement: str, config_path: str | None) -> None:
    """Bind a dataset to a prompt: each new version runs it on the server, and it gates protected labels."""
    service.check_name(prompt, "--prompt")
    made = service.bind(open_store(config_path), Actor.admin("cli"), workload, prompt, dataset, requirement)
    click.echo(f"bound {made.dataset} to {made.workload}/{made.prompt} ({made.requirement})")


@click.command("unbind")
@_workload
@_prompt
@_dataset
@config_option
def unbind_command(workload: str, prompt: str, dataset: str, config_path: str | None) -> None:
    """Unbind a dataset from a prompt."""
    service.unbind(open_store(config_path), Actor.admin("cli"), workload, prompt, dataset)
    click.echo(f"unbound {dataset} from {workload}/{prompt}")


@click.command("bindings")
@click.option("--workload", "-w", default=None, help="Only this workload's bindings (default: every workload's)")
@click.option("--prompt", "-p", default=None, help="Only this prompt's bindings")
@config_option
@format_option("table", "json", "csv")
def bindings_command(workload: str | None, prompt: str | None, config_path: str | None, fmt: str) -> None:
    """List the datasets bound to prompts."""
    found = service.bindings_of(open_store(config_path), workload, prompt)
    emit([b.to_json() for b in found], COLUMNS, fmt, title="Eval bindings")
