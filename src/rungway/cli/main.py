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
        self._nested: dict[str, dict[str, str]] = {}

    @property
    def lazy(self) -> dict[str, str]:
        if self._lazy is None:
            # Imported here, not at the top: `rungway --version` and friends need no capability.
            from rungway.capability import load_capabilities

            paths = dict(self.core)
            nested: list[tuple[str, str, str, str]] = []
            for capability in load_capabilities():
                for name, path in capability.cli.items():
                    group, _, sub = name.partition(" ")
                    if sub:  # "cost savings": a subcommand of another capability's group
                        nested.append((capability.name, group, sub.strip(), path))
                        continue
                    if name in paths:
                        raise RungwayError(
                            f"capability {capability.name!r} adds the command `{name}`, which exists. "
                            "Fix: uninstall one of the two"
                        )
                    paths[name] = path
            for owner, group, sub, path in nested:
                self._nest(owner, group, sub, path, paths)
            self._lazy = paths
        return self._lazy

    def _nest(self, owner: str, group: str, sub: str, path: str, paths: dict[str, str]) -> None:
        if group in self.core or _declared_command(group) is not None:
            raise RungwayError(
                f"capability {owner!r} adds `{group} {sub}` to a command that loads no capability, so it would "
                f"never be found. Fix: give it a group of its own (`{owner} {sub}`)"
            )
        subs = self._nested.setdefault(group, {})
        if group not in paths or sub in subs:
            what = "no installed capability has" if group not in paths else "another capability adds it to"
            raise RungwayError(
                f"capability {owner!r} adds `{group} {sub}`, but {what} the group `{group}`. "
                "Fix: install the capability that owns it, or uninstall one of the two"
            )
        subs[sub] = path

    def _attach(self, name: str, command: click.Command) -> None:
        """A capability's subcommands of the group just loaded (`Capability.cli` keys "group sub")."""
        subs = self._nested.get(name, {})
        if not subs:
            return
        if not isinstance(command, click.Group):
            raise RungwayError(f"`{name}` is a command, not a group: nothing can be added under it")
        for sub, path in subs.items():
            module, _, attribute = path.partition(":")
            found = getattr(importlib.import_module(module), attribute)
            if command.commands.get(sub, found) is not found:
                raise RungwayError(f"`{name} {sub}` exists twice. Fix: uninstall one of the capabilities adding it")
            command.add_command(found, sub)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        path = None
        fast = False
        if cmd_name not in self.commands:
            path = self.core.get(cmd_name) or _declared_command(cmd_name)
            fast = path is not None
            path = path or self.lazy.get(cmd_name)
        if path is not None:  # a core command loads no capability; any other name asks the registry
            module, _, attribute = path.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not fast:
                self._attach(cmd_name, command)
            self.add_command(command, cmd_name)
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
