"""The `rungway prompts` command group with every subcommand: the library's own (`cli.py`), the files and
imports (`cli_files.py`) and usage per version (`usage_cli.py`). Each module adds its commands to the one
group from `cli.py`; importing them here is what puts them on it, so the capability names this module."""

from __future__ import annotations

from rungway.prompts import cli_files, usage_cli
from rungway.prompts.cli import prompts_group

__all__ = ["prompts_group"]

_SUBCOMMANDS = (cli_files, usage_cli)  # imported for their registrations on prompts_group
