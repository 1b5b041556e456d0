"""The guardrails capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

For now it installs nothing in the gateway: the detectors are a library (`public.py`) the red-team capability
and plugins use. The input and output filter steps, and their `guardrails:` configuration section, join here
once the gateway's call step settles.
"""

from __future__ import annotations

from rungway.capability import Capability, Host, Installed

__all__ = ["CAPABILITY", "install_guardrails"]


def install_guardrails(host: Host) -> Installed:
    return Installed()


CAPABILITY = Capability(
    name="guardrails",
    install=install_guardrails,
)
