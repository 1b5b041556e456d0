"""The guardrails capability is published like any other and installs nothing in the gateway yet."""

from __future__ import annotations

from rungway.capability import load_capabilities
from rungway.guardrails.install import CAPABILITY


def test_guardrails_is_a_registered_capability_with_no_sections_yet() -> None:
    assert CAPABILITY in load_capabilities()
    assert CAPABILITY.name == "guardrails" and tuple(CAPABILITY.sections) == ()
