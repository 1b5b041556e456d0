"""The Requests page: the API's filters (cost and latency too), paging with the API's cursor, the workload scope."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rungway.domain.keys import Role
from rungway.domain.records import RequestRecord
from rungway.store.reads import reads_by_workload
from rungway.store.requests import insert_requests
from tests.servers import Gateway
from tests.web.support import UiClient, seed_calls


def _ids(html: str) -> list[str]:
    return re.findall(r'<td class="nowrap" title="(req_[0-9a-z]+)">', html)


def test_the_request_list_pages_through_every_call_once(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    seed_calls(gateway, gateway.create_key().secret, 5)
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    seen: list[str] = []
    path: str | None = "/ui/requests?limit=2"
    while path:
        page = client.get(path).text
        seen += _ids(page)
        found = re.search(r'href="([^"]+)" rel="next"', page)
        path = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == 5 == len(set(seen))


def test_the_request_list_filters_by_cost_and_latency(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    key = gateway.create_key()
    seed_calls(gateway, key.secret, 2, model="gpt-4o")
    seed_calls(gateway, key.secret, 1, model="unpriced-model")
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    assert len(_ids(client.get("/ui/requests").text)) == 3
    assert len(_ids(client.get("/ui/requests?min_cost=0.000001").text)) == 2  # the unpriced call costs nothing
    assert len(_ids(client.get("/ui/requests?min_latency_ms=3600000").text)) == 0
    assert client.get("/ui/requests?min_cost=-1").status_code == 400
    assert client.get("/ui/requests?min_latency_ms=nan").status_code == 400


def test_reading_the_log_on_the_dashboard_counts_as_a_management_read(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    assert viewer.get("/ui/requests").status_code == 200
    assert viewer.get("/ui").status_code == 200
    gateway.flush()
    reads = reads_by_workload(gateway.state.engine, 0.0, ("logs", "usage"))
    assert reads["test"]["logs"] >= 1 and reads["test"]["usage"] >= 1


def test_the_request_list_filters_by_prompt_and_names_the_version(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    seed_calls(gateway, gateway.create_key().secret, 1)
    now = time.time()
    insert_requests(
        gateway.state.engine,
        [RequestRecord("req_prompted", now, now, "test", "k", None, None, prompt_name="greet", prompt_version=4)],
    )
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    assert len(_ids(client.get("/ui/requests").text)) == 2
    page = client.get("/ui/requests?prompt=greet@4").text
    assert _ids(page) == ["req_prompted"] and "prompt greet@4" in page
    assert _ids(client.get("/ui/requests?prompt=greet@5").text) == []
    assert client.get("/ui/requests?prompt=not%20a%20name").status_code == 400
