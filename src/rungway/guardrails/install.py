"""The guardrails capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

The detectors are a library (`public.py`) the red-team capability and plugins use. With a `guardrails:`
policy configured, the capability adds the input filter (`steps.filter_input`, a `before_call` step) and
supplies the answer guard (`answers.AnswerGuard`) through `Installed.output_guard`, and notes the policy in
its table (`store.py`, evidence for `checks.content_filtering`); without one it adds nothing to the gateway,
so unfiltered servers pay nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from rungway.capability import Capability, Hook, Host, Installed, PipelineExtension
from rungway.guardrails.config import GUARDRAILS_SECTION, GuardrailsConfig
from rungway.guardrails.pages import pages

__all__ = ["CAPABILITY", "install_guardrails"]

log = logging.getLogger("rungway.guardrails")


def _policy_notes(engine: Engine, config: GuardrailsConfig) -> tuple[Hook, Hook]:
    """Start-up and clean-up hooks: note the policy in the store now and every `NOTE_INTERVAL_S` (evidence)."""
    from rungway.guardrails.store import NOTE_INTERVAL_S, note_policies

    tasks: list[asyncio.Task[None]] = []

    async def note_forever() -> None:
        while True:
            await asyncio.sleep(NOTE_INTERVAL_S)
            try:
                await asyncio.to_thread(note_policies, engine, config, time.time())
            except SQLAlchemyError:  # the store is down: the next round notes it; the gateway carries on
                log.warning("could not note the guardrail policy in the store; retrying in %.0f s", NOTE_INTERVAL_S)

    async def start() -> None:
        await asyncio.to_thread(note_policies, engine, config, time.time())
        tasks.append(asyncio.create_task(note_forever()))

    async def stop() -> None:
        for task in tasks:
            task.cancel()

    return start, stop


def _check_judges(config: GuardrailsConfig, served: set[str]) -> None:
    """A judge must ask a model of `models:`: refused at start, the error naming the file and line."""
    policies = [config.default, *config.workloads.values()]
    for rule in (r for p in policies for d in (p.input, p.output) for r in d.rules):
        if rule.judge_model is not None and rule.judge_model not in served and rule.unserved is not None:
            raise rule.unserved


def install_guardrails(host: Host) -> Installed:
    from rungway.guardrails.answers import AnswerGuard
    from rungway.guardrails.judging import GatewayJudge
    from rungway.guardrails.public import ScanContext
    from rungway.guardrails.steps import CONFIG, SCAN, filter_input

    state = host.state
    config = state.config.section(GUARDRAILS_SECTION)
    if not config.active:
        return Installed()
    _check_judges(config, set(state.config.models))
    state.slots[CONFIG] = config
    judge = ScanContext(judge=GatewayJudge(state))
    state.slots[SCAN] = judge
    has_input = config.default.input.rules or any(p.input.rules for p in config.workloads.values())
    start, stop = _policy_notes(state.engine, config)
    return Installed(
        pipeline=(PipelineExtension("guardrails", before_call=(filter_input,)),) if has_input else (),
        output_guard=AnswerGuard(config, judge),
        on_startup=(start,),
        on_cleanup=(stop,),
    )


CAPABILITY = Capability(
    name="guardrails",
    install=install_guardrails,
    sections=(GUARDRAILS_SECTION,),
    migrations="rungway.guardrails.migrations",
    pages=(pages,),
    checks=("rungway.guardrails.checks",),
)
