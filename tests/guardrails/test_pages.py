"""The guardrails page over plain HTTP against a real gateway: the workload's policy, its hit counts, and
the workload scope (a key sees its own workload's policy and hits only; the admin picks any)."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from rungway.domain.keys import Role
from tests.guardrails.conftest import AWS_KEY, EMAIL, SIMULATED
from tests.servers import Gateway
from tests.web.support import UiClient


def test_the_page_shows_the_policy_and_counts_of_the_workloads_own_hits(
    gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gw = gateway_factory(SIMULATED)
    redacting = gw.sdk(gw.create_key("redacting").secret)
    for _ in range(2):
        redacting.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"hi {EMAIL}"}])
    with pytest.raises(openai.BadRequestError):
        gw.sdk().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": AWS_KEY}])
    gw.flush()
    viewer = ui_client(gw)
    assert viewer.sign_in(gw.create_key("redacting", role=Role.VIEWER).secret).status_code == 303
    page = viewer.get("/ui/guardrails?window=1h")
    assert page.status_code == 200, page.text
    text = page.text
    assert "its own policy" in text and "<code>pii</code>" in text and "<code>secrets</code>" in text
    assert "pii.email" in text and "secrets.aws_access_key" not in text  # the other workload's block
    assert EMAIL not in text and AWS_KEY not in text
    admin = ui_client(gw)
    assert admin.sign_in("admin-secret").status_code == 303
    everything = admin.get("/ui/guardrails?window=24h").text
    assert "secrets.aws_access_key" in everything and "The default policy." in everything
    assert admin.get("/ui/guardrails?window=forever").status_code == 400
