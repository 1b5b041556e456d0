"""The legacy completions capability's one door: `CAPABILITY`, under the `rungway.capabilities` entry points."""

from __future__ import annotations

from rungway.capability import Capability, Host, Installed
from rungway.completions.dialect import CompletionsDialect

__all__ = ["CAPABILITY", "install_completions"]


def install_completions(host: Host) -> Installed:
    return Installed(dialects=(CompletionsDialect(),))


CAPABILITY = Capability("completions", install_completions)
