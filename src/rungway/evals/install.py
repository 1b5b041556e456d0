"""The evaluation capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares what the core wires: the `evals:` section, the `evals` migrations branch (datasets, scores, runs,
bindings), the /api/datasets, /api/scores, /api/eval-runs and /api/eval-bindings routers and the
`rungway datasets` and `rungway eval` commands. `install_evals` registers on the prompt library's hooks
(`rungway.prompts.hooks`): a listener that runs a new version's bound datasets in the background
(`bindings/auto.py`), and the label guard that enforces `require_eval_pass`.
"""

from __future__ import annotations

import functools

from rungway.capability import Capability, Host, Installed
from rungway.evals.bindings import api as bindings_api
from rungway.evals.bindings.auto import AutoRuns
from rungway.evals.bindings.service import check_label_move
from rungway.evals.config import EVALS_SECTION
from rungway.evals.datasets import api as datasets_api
from rungway.evals.gates import api as gates_api
from rungway.evals.pages import pages
from rungway.evals.runs import api as runs_api
from rungway.evals.scores import api as scores_api
from rungway.gateway.slots import StateKey
from rungway.prompts.hooks import hooks_of

__all__ = ["AUTO_RUNS", "CAPABILITY", "install_evals"]

AUTO_RUNS = StateKey[AutoRuns]("evals.auto_runs")
"""The server's background eval runs (tests wait on them)."""


def install_evals(host: Host) -> Installed:
    """Register on the prompt library's hooks; the routes use the server's store engine."""
    state = host.state
    config = state.config.section(EVALS_SECTION)
    hooks = hooks_of(state.slots, state.engine)  # called only when the prompt library is installed too
    auto = AutoRuns(state.engine, config)
    state.slots[AUTO_RUNS] = auto
    hooks.on_version_created(auto.on_version_created)
    hooks.add_label_guard(functools.partial(check_label_move, config))
    return Installed(on_cleanup=[auto.stop])


CAPABILITY = Capability(
    name="evals",
    install=install_evals,
    sections=(EVALS_SECTION,),
    # gates_api first: its /api/eval-runs/compare must be matched before /api/eval-runs/{id}
    routers=(datasets_api.router, scores_api.router, gates_api.router, runs_api.router, bindings_api.router),
    cli={"datasets": "rungway.evals.datasets.cli:datasets_group", "eval": "rungway.evals.gates.cli:eval_group"},
    migrations="rungway.evals.migrations",
    checks=("rungway.evals.checks",),
    pages=(pages,),
)
"""Evaluation: datasets, scores, eval runs and bindings; `evals:`, /api/datasets, /api/scores, /api/eval-runs,
/api/eval-bindings, `rungway datasets`, `rungway eval`."""
