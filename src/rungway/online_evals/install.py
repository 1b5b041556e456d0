"""The online-evaluation capability's door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares the `online_evals:` section, the `online_evals` migrations branch (o0001), `/api/online-evals`,
the `rungway online-evals` command and the dashboard page; `install_online_evals` builds the runtime (the
scorer book, the bounded queue and its workers, the score writer) and adds the after-call scoring step.
"""

from __future__ import annotations

import functools

from rungway.capability import Capability, Host, Installed
from rungway.evals.public import Score, ScorerContext, append_scores
from rungway.online_evals.api import ONLINE, router
from rungway.online_evals.book import ScorerBook
from rungway.online_evals.config import ONLINE_EVALS_SECTION, check_models
from rungway.online_evals.models import GatewayModels
from rungway.online_evals.pages import pages
from rungway.online_evals.runtime import OnlineRuntime
from rungway.store.record_files import RecordCodec
from rungway.store.writer import BatchWriter

__all__ = ["CAPABILITY", "install_online_evals"]


def install_online_evals(host: Host) -> Installed:
    state = host.state
    config = state.config.section(ONLINE_EVALS_SECTION)
    check_models(state.config, config)
    rec = state.config.recorder
    writer: BatchWriter[Score] = BatchWriter(
        "online_eval_scores",
        functools.partial(append_scores, state.engine),
        max_queue=min(rec.queue_size, 100_000),
        batch_size=min(rec.batch_size, 1_000),
        flush_interval_s=rec.flush_interval_ms / 1000,
        codec=RecordCodec(Score, ("workload", "id")),
    )
    models = GatewayModels(state, config.timeout_s)
    context = ScorerContext(models=models, judge_model=config.judge_model, embedding_model=config.embedding_model)
    book = ScorerBook(state.engine, config, context)
    runtime = OnlineRuntime(
        book,
        writer,
        state.metrics.registry,
        queue_size=config.queue_size,
        workers=config.workers,
        timeout_s=config.timeout_s,
    )
    state.slots[ONLINE] = runtime

    async def start() -> None:
        await book.start()
        await runtime.start()

    async def stop() -> None:
        await runtime.stop()
        await book.stop()

    return Installed(pipeline=[runtime.pipeline()], writers=[writer], on_startup=[start], on_cleanup=[stop])


CAPABILITY = Capability(
    name="online_evals",
    install=install_online_evals,
    sections=(ONLINE_EVALS_SECTION,),
    routers=(router,),
    cli={"online-evals": "rungway.online_evals.cli:online_evals_group"},
    migrations="rungway.online_evals.migrations",
    checks=("rungway.online_evals.checks",),
    pages=(pages,),
)
"""Online evaluation: `online_evals:`, /api/online-evals, `rungway online-evals`, /ui/online-evals."""
