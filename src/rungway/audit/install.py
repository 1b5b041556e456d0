"""The audit capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `audit:` section, the `audit` migrations branch (au0001, au0002), `/api/audit` and its
holds, the `rungway audit` command and the `audit_trails` evidence check; `install_audit` adds the capture
middleware to the server's application and runs the checkpointer in the background: a checkpoint every
`checkpoint_every` records or `checkpoint_minutes`, signed with RUNGWAY_AUDIT_SIGNING_KEY when it is set (the
same loop records the refused requests counted per minute), and, when a retention is set, erases the content of
records past it (retention.py).
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from rungway.audit.api import router
from rungway.audit.capture import Capture, capture_middleware
from rungway.audit.config import AUDIT_SECTION
from rungway.audit.holds_api import holds_router
from rungway.audit.pages import pages
from rungway.audit.retention import erase_expired
from rungway.audit.service import maybe_checkpoint
from rungway.audit.signing import signer_from_env
from rungway.capability import Background, Capability, Host, Installed

__all__ = ["CAPABILITY", "install_audit"]

log = logging.getLogger("rungway.audit")
POLL_S = 15.0  # how often the checkpointer looks (it writes only when a checkpoint is due)


def install_audit(host: Host) -> Installed:
    state = host.state
    settings = state.config.section(AUDIT_SECTION)
    signer = signer_from_env()  # a bad key stops the start with the fix, not the first checkpoint
    if signer is None:
        log.warning("audit: RUNGWAY_AUDIT_SIGNING_KEY is not set; checkpoints are written unsigned")
    capture = Capture(state.engine, settings)
    if settings.capture:
        host.app.middlewares.append(capture_middleware(capture))

    async def checkpointer() -> None:
        while True:
            try:
                await asyncio.to_thread(capture.flush_refusals, time.time())
                await asyncio.to_thread(maybe_checkpoint, state.engine, settings, signer, time.time())
            except SQLAlchemyError as exc:  # a store that is down or busy: the next round tries again
                log.warning("audit: writing a checkpoint failed: %s", exc)
            await asyncio.sleep(min(POLL_S, settings.checkpoint_minutes * 60))

    async def retention() -> None:
        while True:
            try:
                run = await asyncio.to_thread(erase_expired, state.engine, settings, time.time())
                if run.erased:
                    log.info("audit: erased the content of %d record(s) past their retention", run.erased)
            except SQLAlchemyError as exc:  # the next round tries again
                log.warning("audit: erasing content past its retention failed: %s", exc)
            await asyncio.sleep(settings.retention_check_minutes * 60)

    loops = [Background("rungway-audit-checkpoints", checkpointer)]
    if settings.retains:
        loops.append(Background("rungway-audit-retention", retention))
    return Installed(background=loops)


CAPABILITY = Capability(
    name="audit",
    install=install_audit,
    sections=(AUDIT_SECTION,),
    routers=(router, holds_router),
    cli={"audit": "rungway.audit.cli:audit_group"},
    migrations="rungway.audit.migrations",
    checks=("rungway.audit.checks",),
    pages=(pages,),
)
"""The audit trail: `audit:`, capture of /api and /ui changes, checkpoints, /api/audit, `rungway audit`."""
