"""Running the CLI: in this process with click's CliRunner, or as its own process like a user does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from rungway.cli.main import cli


def invoke(store_url: str, *args: str) -> Result:
    """`rungway ARGS` in-process against `store_url`; fails the test on a non-zero exit."""
    result = CliRunner().invoke(cli, list(args), env={"RUNGWAY_DATABASE_URL": store_url, "RUNGWAY_CONFIG": None})
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def invoke_json(store_url: str, *args: str) -> Any:
    return json.loads(invoke(store_url, *args, "--format", "json").output)


def cli_env(store_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNGWAY_")}
    if store_url is not None:
        env["RUNGWAY_DATABASE_URL"] = store_url
    return env


def rungway(store_url: str | None, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`rungway ARGS` as a separate process (the real entry point, error handling included)."""
    return subprocess.run(
        [sys.executable, "-m", "rungway", *args],
        env=cli_env(store_url),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
