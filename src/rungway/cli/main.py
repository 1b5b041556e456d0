"""The `rungway` command group and its entry point.

Command groups are imported only when they run (`LazyGroup`), so `rungway --help` and quick
commands do not pay for the server, the store and every capability at start-up.
User mistakes (bad config, unknown ids) print one line naming the file, line and fix and exit 1;
Ctrl-C exits 130 quietly; bugs keep their traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from rungway.errors import RungwayError

COMMANDS = {
    "serve": "rungway.cli.serve:serve_command",
    "config": "rungway.cli.serve:config_group",
    "keys": "rungway.cli.keys:keys_group",
    "workloads": "rungway.cli.workloads:workloads_group",
    "logs": "rungway.cli.logs:logs_group",
    "usage": "rungway.cli.logs:usage_command",
}
"""The core commands; each capability adds its own through `Capability.cli` (see `rungway.capability`)."""


class LazyGroup(click.Group):
    """A click group whose subcommands are `module:attribute` paths imported on first use: the core
    ones given, and those of every registered capability, read from the registry on first need."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.core = lazy
        self._lazy: dict[str, str] | None = None

    @property
    def lazy(self) -> dict[str, str]:
        if self._lazy is None:
            # Imported here, not at the top: `rungway --version` and friends need no capability.
            from rungway.capability import load_capabilities

            paths = dict(self.core)
            for capability in load_capabilities():
                for name, path in capability.cli.items():
                    if name in paths:
                        raise RungwayError(
                            f"capability {capability.name!r} adds the command `{name}`, which exists. "
                            "Fix: uninstall one of the two"
                        )
                    paths[name] = path
            self._lazy = paths
        return self._lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        path = None
        if cmd_name not in self.commands:
            path = self.core.get(cmd_name) or _declared_command(cmd_name) or self.lazy.get(cmd_name)
        if path is not None:  # a core command loads no capability; any other name asks the registry
            module, _, attribute = path.partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


COMMANDS_GROUP = "rungway.commands"
"""Entry points naming a capability's command ("name = module:attribute", the same path as its `Capability.cli`),
so running that one command imports only its module, not every capability (`rungway eval run` starts in a
fraction of the time); the capabilities are still loaded to list commands and catch clashes with `--help`."""


def _declared_command(name: str) -> str | None:
    from importlib.metadata import entry_points

    for point in entry_points(group=COMMANDS_GROUP, name=name):
        return str(point.value)
    return None


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rungway")
def cli() -> None:
    """Rungway: an LLMOps platform: gateway, traces, cost and budgets, maturity assessment."""


def main() -> None:
    try:
        cli.main(prog_name="rungway", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:  # `rungway` or `rungway keys` alone: the help
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        click.echo(f"error: {usage_error_line(exc)}", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RungwayError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


def usage_error_line(exc: click.UsageError) -> str:
    """A mistake on the command line as one line: the command, what is wrong, and where the help is."""
    command = exc.ctx.command_path if exc.ctx is not None else "rungway"
    message = exc.format_message().rstrip(".")
    return f"{command}: {message}. Fix: see `{command} --help`"
