"""The `rungway` command group and its entry point.

User mistakes (bad config, unknown ids) print one line naming the file, line and fix and exit 1;
Ctrl-C exits 130 quietly; bugs keep their traceback.
"""

from __future__ import annotations

import sys

import click

from rungway.cli.assess import assess_group
from rungway.cli.budgets import budgets_group
from rungway.cli.cost import cost_group
from rungway.cli.keys import keys_group
from rungway.cli.logs import logs_group, usage_command
from rungway.cli.serve import config_group, serve_command
from rungway.cli.traces import traces_group
from rungway.cli.workloads import workloads_group
from rungway.errors import RungwayError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rungway")
def cli() -> None:
    """Rungway: an LLMOps platform: gateway, traces, cost and budgets, maturity assessment."""


cli.add_command(serve_command)
cli.add_command(config_group)
cli.add_command(traces_group)
cli.add_command(keys_group)
cli.add_command(workloads_group)
cli.add_command(logs_group)
cli.add_command(usage_command)
cli.add_command(budgets_group)
cli.add_command(cost_group)
cli.add_command(assess_group)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RungwayError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
