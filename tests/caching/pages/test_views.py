"""The cache page over plain HTTP against a real gateway: the savings table with its totals, the cache's state, the
semantic hit checks, the workload scope (another workload is a 404 page) and the clear form (a developer's clear
forgets the workload's answers; a viewer has no button and a POST from one is refused).
The browser flow is in tests/web/test_browser_cache.py."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable

import pytest

from rungway.caching.model import HitCheck, SemanticState
from rungway.caching.pages.views import SavingsLine, clear_target, savings_lines
from rungway.caching.savings import LayerSavings, SavingsReport, SavingsRow
from rungway.caching.store import append_checks, entry_counts, save_semantic_state
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest
from tests.caching.seeding import ask, seed_savings
from tests.caching.support import cache_gateway
from tests.servers import Gateway
from tests.web.support import UiClient

_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
_TAG = re.compile(r"<[^>]+>")


def cells(page: str, label: str) -> list[str]:
    """The text of each cell of the first table row whose first cell reads `label`."""
    for row in _ROW.findall(page):
        found = [html.unescape(_TAG.sub("", c)).strip() for c in _CELL.findall(row)]
        if found and found[0] == label:
            return found
    raise AssertionError(f"no row {label!r}")


def section(page: str, id: str) -> str:
    """The HTML of the card with this id."""
    start = page.index(f'id="{id}"')
    return page[start : page.index("</section>", start)]


def seed(gateway: Gateway) -> dict[str, str]:
    """Real calls through the gateway (test: a miss then two exact hits; other: a miss then a hit), the request rows
    of `seed_savings` (workloads support and other), and three semantic hit checks of test (two passed) with its
    threshold raised. Returns a developer key's secret per workload."""
    keys = {w: gateway.create_key(w).secret for w in ("test", "other")}
    assert [ask(gateway, keys["test"], "hello there") for _ in range(3)] == ["miss", "hit", "hit"]
    assert [ask(gateway, keys["other"], "hello there") for _ in range(2)] == ["miss", "hit"]
    gateway.flush()
    engine, now = gateway.state.engine, time.time()
    seed_savings(engine)
    append_checks(engine, [
        HitCheck(f"chk_{i}", now - 60 * i, "test", f"req_{i}", i, 0.93 + i / 100, 0.9 if i else 0.2, i > 0, 1000,
                 "answers differ" if i == 0 else "similar enough")
        for i in range(3)
    ])  # fmt: skip
    save_semantic_state(engine, SemanticState("test", 0.95, False, now, "precision 66.7% under 90%: threshold raised"))
    return keys


def _client(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_savings_the_state_and_the_checks(gateway_factory: Callable[..., Gateway],
                                              ui_client: Callable[..., UiClient]) -> None:  # fmt: skip
    gateway = cache_gateway(gateway_factory)
    seed(gateway)
    admin = _client(ui_client, gateway, "admin-secret")
    page = admin.get("/ui/cache")
    assert page.status_code == 200
    assert 'id="savings"' in page.text and "Savings by workload, biggest saving first" in page.text
    # support (seeded): 5 chat calls, 2 exact hits saving 8,000 nano-$, 1 semantic saving 7,000, 1,000 cached tokens
    # of a model without a price; spend 13,120 nano-$ (embeddings included); saved 15,000 / 28,120 of the bill.
    support = ["support", "5", "2", "40.0%", "1", "20.0%", "$0.00 +1000 unpriced tokens", "$0.000015", "$0.000013"]
    assert cells(page.text, "support") == [*support, "53.3%"]
    test_row = cells(page.text, "test")
    assert test_row[1:6] == ["3", "2", "66.7%", "0", "0.0%"]  # the real hits: a miss, then two exact hits
    total = cells(page.text, "Total")
    assert total[1:3] == ["12", "5"] and total[4] == "1"  # test 3 + other 2 + 2 seeded + support 5
    stats = section(page.text, "stats")
    assert re.search(r'id="memory".*?2 answers', stats, re.S)  # the memory tier: test's answer and other's
    state = cells(stats, "test")
    assert state[1:3] == ["1", "1"] and state[4] == "1"  # one stored answer with its embedding, one in memory
    assert state[6:8] == ["0.95", "66.7% of 3"] and state[8].endswith("threshold raised")  # raised, and why
    assert cells(stats, "exact")[5] == "off"  # configured without a semantic layer, nothing stored yet
    checks = section(page.text, "checks")
    assert "Precision of test" in checks and "2 of 3 passed" in checks
    assert "answers differ" in checks and checks.count('badge-ok">passed') == 2
    by_model = admin.get("/ui/cache?by=model&since=7d&workload=support").text
    assert "Savings by model" in by_model and ">gpt-x<" in by_model and ">emb<" in by_model
    assert ">gpt-4o-mini-2024-07-18<" not in by_model and "last 7 days" in by_model
    assert admin.get("/ui/cache?since=14d").status_code == 400
    assert admin.get("/ui/cache?by=team").status_code == 400


def test_a_workload_key_sees_its_own_workload(gateway_factory: Callable[..., Gateway],
                                              ui_client: Callable[..., UiClient]) -> None:  # fmt: skip
    gateway = cache_gateway(gateway_factory)
    keys = seed(gateway)
    mine = _client(ui_client, gateway, keys["test"])
    page = mine.get("/ui/cache").text
    assert "The cache of workload <strong>test</strong>" in page
    assert cells(page, "test")[1:3] == ["3", "2"]
    assert ">other<" not in page and ">support<" not in page
    assert 'id="memory"' not in page  # the server's whole memory tier is the admin's to see
    assert 'name="workload"' not in page  # no workload to choose, in the filters or the clear form
    assert mine.get("/ui/cache?workload=test").status_code == 200
    assert mine.get("/ui/cache?workload=other").status_code == 404
    assert mine.get("/ui/cache?workload=nobody").status_code == 404


def test_a_developer_clears_the_workloads_answers_and_a_viewer_cannot(
    gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = cache_gateway(gateway_factory)
    keys = seed(gateway)
    viewer = _client(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get("/ui/cache").text
    assert 'action="/ui/cache/clear"' not in page and "A developer key of this workload" in page
    assert viewer.post("/ui/cache/clear").status_code == 403  # with its own valid CSRF token
    assert ask(gateway, keys["test"], "hello there") == "hit"
    developer = _client(ui_client, gateway, keys["test"])
    assert 'action="/ui/cache/clear"' in developer.get("/ui/cache").text
    assert developer.post("/ui/cache/clear", csrf="").status_code == 403
    assert developer.post("/ui/cache/clear", csrf="forged").status_code == 403
    assert developer.post("/ui/cache/clear", {"workload": "other"}).status_code == 404
    assert developer.post("/ui/cache/clear", {"namespace": "test"}).status_code == 400
    assert ask(gateway, keys["test"], "hello there") == "hit"  # nothing refused cleared anything
    cleared = developer.post("/ui/cache/clear")
    assert cleared.status_code == 303
    assert cleared.headers["Location"] == "/ui/cache?workload=test&cleared=1&forgotten=1"
    notice = developer.get(cleared.headers["Location"]).text
    assert "Cached answers of test cleared" in notice and "1 stored answer deleted and 1 dropped" in notice
    assert "test" not in entry_counts(gateway.state.engine, time.time())
    assert ask(gateway, keys["test"], "hello there") == "miss"
    assert ask(gateway, keys["other"], "hello there") == "hit"  # another workload's answers stay
    admin = _client(ui_client, gateway, "admin-secret")
    assert admin.post("/ui/cache/clear").status_code == 400  # the admin key names the workload
    by_admin = admin.post("/ui/cache/clear", {"workload": "other"})
    assert by_admin.headers["Location"] == "/ui/cache?workload=other&cleared=1&forgotten=1"
    assert ask(gateway, keys["other"], "hello there") == "miss"


def test_the_savings_lines_end_with_their_total() -> None:
    row = SavingsRow("a", chat_calls=4, exact=LayerSavings(1, 50), spend_nano=150)
    report = SavingsReport("workload", 0.0, 1.0, [row, SavingsRow(None)], row.plus(SavingsRow(None)), "2025-01-01")
    assert savings_lines(report) == [
        SavingsLine("a", row),
        SavingsLine("(none)", SavingsRow(None)),
        SavingsLine("Total", report.total, total=True),
    ]
    assert report.total.saved_share == 0.25
    assert savings_lines(SavingsReport("model", 0.0, 1.0, [], SavingsRow(None), "2025-01-01")) == []


def test_the_clear_form_takes_only_a_workload() -> None:
    def own(asked: str | None) -> str | None:
        return asked or "mine"

    assert clear_target({"csrf_token": "t"}, own) == "mine"
    assert clear_target({"workload": " w1 ", "csrf_token": "t"}, own) == "w1"
    with pytest.raises(InvalidRequest, match="unknown field 'namespace'"):
        clear_target({"namespace": "w1"}, own)
    with pytest.raises(InvalidRequest, match="at most 64"):
        clear_target({"workload": "w" * 65}, own)
    with pytest.raises(InvalidRequest, match="name the workload"):
        clear_target({"workload": ""}, lambda asked: asked)
