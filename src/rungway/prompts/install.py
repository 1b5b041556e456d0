"""The prompt library's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares what the core wires: the `prompts:` section and the `prompts` migrations branch.
"""

from __future__ import annotations

from rungway.capability import Capability, Host, Installed
from rungway.prompts.config import PROMPTS_SECTION
from rungway.prompts.pages import pages

__all__ = ["CAPABILITY", "install_prompts"]


def install_prompts(host: Host) -> Installed:
    del host
    return Installed()


CAPABILITY = Capability(
    name="prompts",
    install=install_prompts,
    sections=(PROMPTS_SECTION,),
    migrations="rungway.prompts.migrations",
    pages=(pages,),
)
"""The prompt library: versioned, reviewed prompts promoted by label, `prompts:`."""
