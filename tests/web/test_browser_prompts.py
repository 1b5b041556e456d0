"""The prompt library's pages in a real browser (Debian's Chromium, headless) against a real gateway: a person
creates a prompt and its next version from the pages and reads the diff; another person approves it and
moves production, a call through the gateway renders it, and its request-log row links back to the version
with the call counted in the approval view's evidence; the author's own approval is refused on the page; a
viewer sees no forms; screenshots of each page at 1280x800 and 390 px go to test-artifacts/dashboard/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from rungway.domain.keys import KeyKind, Role
from rungway.prompts.service import get_version
from tests.servers import Gateway
from tests.web.support import WIDTHS, browser_gateway, new_page, sign_in

FIRST = """messages:
  - role: system
    content: |
      You answer questions about {{product}}.
      Be brief.
  - role: user
    content: "{{question}}"
model: gpt-4o-mini
"""


@dataclasses.dataclass
class People:
    gateway: Gateway
    ana: str  # a person, developer of workload test: the author
    bob: str  # another person of workload test: the reviewer
    viewer: str


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[People]:
    gateway = browser_gateway(tmp_path_factory.mktemp("browser-prompts"))
    try:
        yield People(
            gateway,
            gateway.create_key("test", kind=KeyKind.PERSON, owner="ana").secret,
            gateway.create_key("test", kind=KeyKind.PERSON, owner="bob").secret,
            gateway.create_key("test", role=Role.VIEWER).secret,
        )
    finally:
        gateway.stop()


def _create(page: Any, base: str, name: str) -> None:
    """Create `name` v1 from the list page's form, then v2 from the prompt page's New version form."""
    page.get_by_role("link", name="Prompts").click()
    page.wait_for_url(f"{base}/ui/prompts")
    form = page.get_by_role("form", name="Create a prompt version")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Content (YAML or JSON)").fill(FIRST)
    form.get_by_label("Commit message").fill("first draft")
    form.get_by_role("button", name="Create version").click()
    page.wait_for_url(f"{base}/ui/prompts/{name}/versions/1?workload=test")
    page.get_by_role("link", name=f"All versions of {name}").click()
    form = page.get_by_role("form", name="Create a prompt version")
    text = form.get_by_label("Content (YAML or JSON)").input_value()
    assert "Be brief." in text  # the latest content, to edit
    form.get_by_label("Content (YAML or JSON)").fill(text.replace("Be brief.", "Be brief. Cite a source."))
    form.get_by_label("Commit message").fill("cite sources")
    form.get_by_role("button", name="Create version").click()
    page.wait_for_url(f"{base}/ui/prompts/{name}/versions/2?workload=test")


def test_create_versions_and_read_the_diff(browser: Any, people: People) -> None:
    base = people.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, people.ana)
        _create(page, base, "faq")
        messages = page.locator("#messages pre")
        assert messages.count() == 2 and "Be brief. Cite a source." in messages.first.inner_text()
        assert page.locator("#compare .diff-add").first.inner_text() == "+Be brief. Cite a source."
        assert page.locator("#compare .diff-del").first.inner_text() == "-Be brief."
        page.get_by_role("link", name="All versions of faq").click()
        rows = page.locator("#versions tbody tr")
        assert rows.count() == 2 and "cite sources" in rows.first.inner_text() and "ana" in rows.first.inner_text()
    finally:
        page.context.close()


def test_another_persons_approval_lets_production_move(browser: Any, people: People) -> None:
    base = people.gateway.base_url
    engine = people.gateway.state.engine
    author = new_page(browser)
    reviewer = new_page(browser)
    try:
        sign_in(author, base, people.ana)
        _create(author, base, "greeting")
        sign_in(reviewer, base, people.bob)
        reviewer.goto(f"{base}/ui/prompts/greeting/versions/2/review?workload=test")
        reviewer.get_by_role("form", name="Review this version").get_by_label("Comment").fill("read the diff")
        reviewer.get_by_role("button", name="Approve").click()
        reviewer.wait_for_url(f"{base}/ui/prompts/greeting/versions/2/review?workload=test#reviews")
        assert "bob" in reviewer.locator("#reviews tbody tr").first.inner_text()
        assert reviewer.locator(".stat-value").nth(2).inner_text() == "1 of 1"
        move = reviewer.get_by_role("form", name="Move a label to this version")
        move.get_by_label("Why").fill("approved by bob")
        move.get_by_role("button", name="Move to v2").click()
        reviewer.wait_for_url(f"{base}/ui/prompts/greeting?workload=test#label-history")
        history = reviewer.locator("#label-history tbody tr").first.inner_text()
        assert "production" in history and "bob" in history and "approved by bob" in history
        assert get_version(engine, workload="test", name="greeting", label="production").version == 2
        sdk = people.gateway.sdk(people.gateway.create_key("test").secret)  # production serves at once
        variables = {"product": "Rungway", "question": "What is a label?"}
        sdk.chat.completions.create(
            model=openai.NOT_GIVEN,
            messages=openai.NOT_GIVEN,
            extra_body={"prompt": {"id": "greeting", "variables": variables}},
        )
        people.gateway.flush()
        reviewer.goto(f"{base}/ui/requests")
        reviewer.locator("main table tbody tr").first.get_by_role("link", name="prompt").click()
        reviewer.wait_for_url(f"{base}/ui/prompts/greeting/versions/2?workload=test")
        reviewer.get_by_role("link", name="Review this version").click()
        assert reviewer.locator("#usage-calls .stat-value").inner_text() == "1"  # production's calls, the evidence
    finally:
        author.context.close()
        reviewer.context.close()


def test_the_authors_own_approval_is_refused_on_the_page(browser: Any, people: People) -> None:
    base = people.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, people.ana)
        _create(page, base, "mine")
        page.goto(f"{base}/ui/prompts/mine/versions/2/review?workload=test")
        page.get_by_role("form", name="Review this version").get_by_label("Comment").fill("looks good to me")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Approve").click()
        assert answer.value.status == 403
        assert "reviewed by someone other than its author" in page.locator("main .error").inner_text()
        move = f"{base}/ui/prompts/mine/versions/2/review?workload=test"
        page.goto(move)
        form = page.get_by_role("form", name="Move a label to this version")
        form.get_by_label("Why").fill("ship it")
        form.get_by_role("button", name="Move to v2").click()
        assert "needs 1 approval(s)" in page.locator("main .error").inner_text()
    finally:
        page.context.close()


def test_a_viewer_reads_every_prompt_page_and_sees_no_form(browser: Any, people: People) -> None:
    base = people.gateway.base_url
    page = new_page(browser)
    try:
        sign_in(page, base, people.ana)
        _create(page, base, "for-viewers")
    finally:
        page.context.close()
    viewer = new_page(browser)
    try:
        sign_in(viewer, base, people.viewer)
        for path in (
            "/ui/prompts",
            "/ui/prompts/for-viewers",
            "/ui/prompts/for-viewers/versions/2",
            "/ui/prompts/for-viewers/versions/2/review",
        ):
            assert viewer.goto(f"{base}{path}").status == 200, path
            assert viewer.locator("main form[method=post]").count() == 0, path
        viewer.goto(f"{base}/ui/prompts/for-viewers/versions/2")
        assert "Be brief. Cite a source." in viewer.locator("#messages").inner_text()
    finally:
        viewer.context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_screenshot_the_prompt_pages(browser: Any, people: People, artifacts: Path, size: str) -> None:
    """Each page renders without a sideways scroll bar or a repeated id at this width; screenshots are kept."""
    base = people.gateway.base_url
    page = new_page(browser, size)
    try:
        sign_in(page, base, people.ana)
        if page.goto(f"{base}/ui/prompts/shots?workload=test").status == 404:
            _create(page, base, "shots")
        shots = {
            "prompts": "/ui/prompts",
            "prompts-prompt": "/ui/prompts/shots?workload=test",
            "prompts-version": "/ui/prompts/shots/versions/2?workload=test",
            "prompts-review": "/ui/prompts/shots/versions/2/review?workload=test",
        }
        for name, path in shots.items():
            answer = page.goto(f"{base}{path}")
            assert answer.status == 200, path
            page.screenshot(path=str(artifacts / f"{name}-{size}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {size}"
            doubled = page.evaluate(
                "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
                " return ids.filter((id, i) => ids.indexOf(id) !== i); })()"
            )
            assert doubled == [], f"{path} repeats ids {doubled}: a label would name the wrong field"
    finally:
        page.context.close()
