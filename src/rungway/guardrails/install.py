"""The guardrails capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

The detectors are a library (`public.py`) the red-team capability and plugins use. With a `guardrails:`
policy configured, the capability adds the input filter (`steps.filter_input`, a `before_call` step) and
supplies the answer guard (`answers.AnswerGuard`) through `Installed.output_guard`; without one it adds
nothing to the gateway, so unfiltered servers pay nothing.
"""

from __future__ import annotations

from rungway.capability import Capability, Host, Installed, PipelineExtension
from rungway.guardrails.config import GUARDRAILS_SECTION

__all__ = ["CAPABILITY", "install_guardrails"]


def install_guardrails(host: Host) -> Installed:
    from rungway.guardrails.answers import AnswerGuard
    from rungway.guardrails.steps import CONFIG, filter_input

    state = host.state
    config = state.config.section(GUARDRAILS_SECTION)
    if config is None or not config.active:
        return Installed()
    state.slots[CONFIG] = config
    has_input = config.default.input.rules or any(p.input.rules for p in config.workloads.values())
    return Installed(
        pipeline=(PipelineExtension("guardrails", before_call=(filter_input,)),) if has_input else (),
        output_guard=AnswerGuard(config),
    )


CAPABILITY = Capability(
    name="guardrails",
    install=install_guardrails,
    sections=(GUARDRAILS_SECTION,),
)
