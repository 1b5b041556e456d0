"""The evaluation capability's one door: `CAPABILITY`, published under the `rungway.capabilities` entry points.

It declares what the core wires: the `evals` migrations branch (datasets, scores, runs), the /api/datasets,
/api/scores and /api/eval-runs routers and the `rungway datasets` and `rungway eval` commands. Datasets,
scores and runs are read and written through the store on each request, so a server needs no runtime of its
own for them: `install_evals` returns nothing to wire yet.
"""

from __future__ import annotations

from rungway.capability import Capability, Host, Installed
from rungway.evals.datasets import api as datasets_api
from rungway.evals.runs import api as runs_api
from rungway.evals.scores import api as scores_api

__all__ = ["CAPABILITY", "install_evals"]


def install_evals(host: Host) -> Installed:
    """Nothing runs in the background for datasets and scores; the routes use the server's store engine."""
    del host
    return Installed()


CAPABILITY = Capability(
    name="evals",
    install=install_evals,
    routers=(datasets_api.router, scores_api.router, runs_api.router),
    cli={"datasets": "rungway.evals.datasets.cli:datasets_group", "eval": "rungway.evals.runs.cli:eval_group"},
    migrations="rungway.evals.migrations",
)
"""Evaluation: datasets, scores and eval runs; /api/datasets, /api/scores, `rungway datasets`."""
