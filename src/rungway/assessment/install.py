"""The assessment's door: `CAPABILITY`, and the installer that runs the scheduled re-assessment.

`assessment:` is parsed with the rest of the configuration (its section is registered here), so
a bad section stops the server before it starts, with file, key path and fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from rungway.assessment.api import router
from rungway.assessment.config import ASSESSMENT_SECTION, assessment_settings
from rungway.assessment.model import Drift
from rungway.assessment.pages import pages
from rungway.assessment.schedule import AssessmentScheduler
from rungway.assessment.service import run_assessment
from rungway.capability import Background, Capability, Host, Installed

__all__ = ["CAPABILITY", "install_assessment"]


def install_assessment(host: Host) -> Installed:
    """Run the scheduled re-assessment while the server runs (`assessment:` was validated with the config)."""
    state = host.state
    settings = assessment_settings(state.config)

    def run_scheduled(now: float) -> Sequence[Drift]:
        run = run_assessment(state.engine, state.config, trigger="scheduled", now=now, settings=settings)
        return run.drifts

    scheduler = AssessmentScheduler(state.engine, settings, run_scheduled)
    return Installed(background=[Background("rungway-assessment-scheduler", scheduler.run_forever)])


CAPABILITY = Capability(
    name="assessment",
    install=install_assessment,
    sections=(ASSESSMENT_SECTION,),
    routers=(router,),
    cli={"assess": "rungway.assessment.cli:assess_group"},
    migrations="rungway.assessment.migrations",
    checks=("rungway.assessment.checks", "rungway.assessment.unavailable"),
    pages=(pages,),
)
"""The maturity assessment: `assessment:`, /api/assessment*, the scheduled re-assessment, `rungway assess`."""
