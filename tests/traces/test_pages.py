"""The traces pages: list with filters, one trace as a waterfall, the overview panel; scoped like /api/traces."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from rungway.domain.keys import Role
from rungway.domain.timespec import DAY
from rungway.traces.model import SpanRow
from rungway.traces.pages import TEXT_SEARCH_STEP_S, text_search_step, waterfall_rows
from rungway.traces.store import TraceFilter, insert_spans
from tests.servers import Gateway
from tests.web.support import UiClient, seed_calls


def _trace_ids(html: str) -> list[str]:
    return re.findall(r'href="/ui/traces/([0-9a-f]{32})"', html)


def test_the_trace_list_filters_and_links_each_trace_to_its_waterfall(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    key = gateway.create_key()
    seed_calls(gateway, key.secret, 2, user="ana")
    seed_calls(gateway, key.secret, 1, user="bo", model="gpt-4o")
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    assert len(_trace_ids(client.get("/ui/traces").text)) == 3
    only_bo = client.get("/ui/traces?user=bo").text
    assert len(_trace_ids(only_bo)) == 1
    assert len(_trace_ids(client.get("/ui/traces?model=gpt-4o").text)) == 1
    assert len(_trace_ids(client.get("/ui/traces?q=question%201").text)) == 1
    view = client.get(f"/ui/traces/{_trace_ids(only_bo)[0]}")
    assert view.status_code == 200
    assert "question 0" in view.text  # the prompt of bo's call
    assert 'class="waterfall"' in view.text and "gpt-4o" in view.text


def test_the_request_list_links_to_each_calls_trace(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    seed_calls(gateway, gateway.create_key().secret, 1)
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    (trace_id,) = _trace_ids(client.get("/ui/requests").text)
    assert client.get(f"/ui/traces/{trace_id}").status_code == 200


def test_a_key_cannot_open_another_workloads_trace(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    seed_calls(gateway, gateway.create_key(workload="other").secret, 1, user="other-user")
    admin = ui_client(gateway)
    admin.sign_in("admin-secret")
    (trace_id,) = _trace_ids(admin.get("/ui/traces").text)
    viewer = ui_client(gateway)
    viewer.sign_in(gateway.create_key(workload="test", role=Role.VIEWER).secret)
    assert _trace_ids(viewer.get("/ui/traces").text) == []
    assert viewer.get(f"/ui/traces/{trace_id}").status_code == 404
    assert viewer.get("/ui/traces?workload=other").status_code == 403
    assert "other-user" not in viewer.get("/ui").text


def test_bad_trace_filters_are_400_pages(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    for query in ("status=maybe", "min_cost=-1", "limit=5000", "since=soon"):
        assert client.get(f"/ui/traces?{query}").status_code == 400, query


def test_the_overview_shows_failing_traces_from_the_panel(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    page = client.get("/ui").text
    assert 'id="failing-traces"' in page and "No failing traces" in page


def test_waterfall_bars_sit_at_each_spans_share_of_the_trace() -> None:
    tree = {
        "start_time": 100.0,
        "end_time": 110.0,
        "spans": [
            {
                "name": "root",
                "start_time": 100.0,
                "end_time": 110.0,
                "children": [{"name": "llm", "start_time": 105.0, "end_time": 107.5, "children": [], "input": "hi"}],
            }
        ],
    }
    rows = waterfall_rows(tree)
    assert [(r["name"], r["depth"], r["bar_x"], r["bar_w"]) for r in rows] == [
        ("root", 0, 0.0, 100.0),
        ("llm", 1, 50.0, 25.0),
    ]
    assert rows[1]["shown"] == [("input", "hi")]


def test_a_text_search_looks_back_seven_days_unless_told(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    page = client.get("/ui/traces?q=anything").text
    assert 'name="since" type="text" value="7d"' in page
    assert 'name="since" type="text" value="30d"' in client.get("/ui/traces?q=anything&since=30d").text


def test_a_text_search_reads_seven_days_per_page_and_links_the_seven_before() -> None:
    now = 1_764_000_000.0
    plain = TraceFilter(since=now - 30 * DAY)
    assert text_search_step(plain, now) == (plain, None)  # no text: the window is read whole
    step, earlier = text_search_step(TraceFilter(since=now - 30 * DAY, text="x"), now)
    assert (step.since, step.until, earlier) == (now - TEXT_SEARCH_STEP_S, now, now - TEXT_SEARCH_STEP_S)
    step, earlier = text_search_step(TraceFilter(since=now - 30 * DAY, until=now - 28 * DAY, text="x"), now)
    assert (step.since, step.until, earlier) == (now - 30 * DAY, now - 28 * DAY, None)  # the last stretch
    step, earlier = text_search_step(TraceFilter(text="x"), now)  # no start: still 7 days a page
    assert (step.since, earlier) == (now - TEXT_SEARCH_STEP_S, now - TEXT_SEARCH_STEP_S)


def test_a_long_text_search_pages_back_seven_days_at_a_time(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    key = gateway.create_key()
    seed_calls(gateway, key.secret, 1)
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    page = client.get("/ui/traces?q=question%200&since=30d")
    assert page.status_code == 200 and len(_trace_ids(page.text)) == 1  # today's call is in the newest 7 days
    link = re.search(r'href="(/ui/traces\?[^"]*until=[^"]*)">Search the 7 days before', page.text)
    assert link is not None and "since=30d" in link.group(1) and "q=question" in link.group(1)
    before = client.get(link.group(1).replace("&amp;", "&"))
    assert before.status_code == 200 and _trace_ids(before.text) == []  # the call is not in the week before
    assert "Search the 7 days before" in before.text  # 30 days hold four more weeks
    assert client.get("/ui/traces?q=x&until=soon").status_code == 400


def test_the_trace_list_pages_older_fifty_at_a_time(gateway: Gateway, ui_client: Callable[..., UiClient]) -> None:
    now = time.time()
    spans = [
        SpanRow(f"{n:032x}", f"{n + 1:016x}", None, "chat", "llm", "otlp", now - n, now - n + 1, 1000.0, "ok", None,
                "test", None, None, "{}", None, None, None, 0, 0, 0, b"{}")
        for n in range(53)
    ]  # fmt: skip
    insert_spans(gateway.state.engine, spans)
    client = ui_client(gateway)
    client.sign_in("admin-secret")
    first = client.get("/ui/traces")
    assert len(_trace_ids(first.text)) == 50
    older = re.search(r'href="(/ui/traces\?cursor=[^"]+)" rel="next"', first.text)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert set(_trace_ids(second.text)) == {f"{n:032x}" for n in range(50, 53)}
    assert 'rel="next"' not in second.text
    assert client.get("/ui/traces?cursor=forged").status_code == 400
