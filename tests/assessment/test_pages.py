"""The maturity panel on the overview: each workload's assessed stage and next investment, as the API gave them."""

from __future__ import annotations

import re
from collections.abc import Callable

import requests

from rungway.assessment.model_file import load_model
from rungway.domain.keys import Role
from tests.servers import Gateway
from tests.web.support import UiClient, seed_calls


def test_the_overview_shows_each_workloads_stage_and_next_investment(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    assert "No assessment yet" in client.get("/ui").text
    seed_calls(gateway, gateway.create_key(workload="test").secret, 2)
    seed_calls(gateway, gateway.create_key(workload="other").secret, 1)
    run = requests.post(
        f"{gateway.base_url}/api/assessments", headers={"Authorization": "Bearer admin-secret"}, timeout=60
    ).json()
    assessed = {w["workload"]: w for w in run["workloads"]}
    page = client.get("/ui").text
    model = load_model()
    for name, w in assessed.items():
        stage = re.search(rf'id="stage-{name}">(\d+) · ', page)
        assert stage is not None and int(stage.group(1)) == w["stage"], name
        if w["next_investment"]:
            assert model.item(w["next_investment"]).title in page
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    scoped = viewer.get("/ui").text
    assert 'id="stage-test"' in scoped and 'id="stage-other"' not in scoped
