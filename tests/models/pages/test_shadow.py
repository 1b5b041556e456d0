"""The shadow pages over plain HTTP against a real gateway: a workload's runs, one run's summary, and another
workload's run a 404 page like a missing one (the browser flow is in tests/web/test_browser_models_shadow.py)."""

from __future__ import annotations

from collections.abc import Callable

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.models.shadow.support import settle, start_gateway, start_run
from tests.servers import Gateway
from tests.web.support import UiClient


def test_runs_and_a_summary_scoped_to_the_workload(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gw = start_gateway(gateway_factory, store_url)
    mine = start_run(gw, max_in_flight=50)["id"]
    for i in range(8):  # B (slower) on 8 of 8 pairs: the sign test's p = 2/256
        gw.sdk().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
    settle(gw)
    body = {"action": "start", "workload": "other", "from": "gpt-4o-mini", "to": "gpt-4o", "sample": 0.5}
    status, theirs = call(gw, "POST", "/api/models/shadow", ADMIN, body)
    assert status == 200
    viewer = ui_client(gw)
    assert viewer.sign_in(gw.create_key("test", role=Role.VIEWER).secret).status_code == 303
    page = viewer.get("/ui/models/shadow")
    assert page.status_code == 200, page.text
    assert f'href="/ui/models/shadow/{mine}"' in page.text and theirs["id"] not in page.text
    page = viewer.get(f"/ui/models/shadow/{mine}")
    assert page.status_code == 200, page.text
    assert 'id="pairs"' in page.text and "100.0%" in page.text and "significant" in page.text
    for path in (f"/ui/models/shadow/{theirs['id']}", "/ui/models/shadow/shr_missing"):
        assert viewer.get(path).status_code == 404, path
    admin = ui_client(gw)
    assert admin.sign_in(ADMIN).status_code == 303
    assert admin.get(f"/ui/models/shadow/{theirs['id']}").status_code == 200
    assert theirs["id"] in admin.get("/ui/models/shadow").text
