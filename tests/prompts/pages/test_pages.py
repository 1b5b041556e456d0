"""The prompt pages over plain HTTP against a real gateway: workload scope (another workload's prompt is a
404 page), shared prompts, the version page and its diff, the forms with the API's role rules and CSRF,
the usage evidence and the request-log link (the browser flows are in tests/web/test_browser_prompts.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest

from rungway.domain.keys import KeyKind, Role
from rungway.domain.records import RequestRecord
from rungway.prompts.config import PROMPTS_SECTION
from rungway.prompts.model import Actor
from rungway.prompts.service import create_version, get_version, move_label, review
from rungway.prompts.template import PromptContent
from rungway.store.requests import insert_requests
from tests.servers import Gateway
from tests.web.support import UiClient

ADMIN = Actor.server_admin()
ANA = Actor("ana", "key_ana", Role.DEVELOPER, KeyKind.PERSON, "test")
BOB = Actor("bob", "key_bob", Role.DEVELOPER, KeyKind.PERSON, "test")
YAML = """messages:
  - role: system
    content: You answer questions about {{product}}.
  - role: user
    content: "{{question}}"
model: gpt-4o-mini
"""


def _content(system: str, **extra: object) -> PromptContent:
    raw: dict[str, object] = {"messages": [{"role": "system", "content": system}, {"role": "user", "content": "{{q}}"}]}
    return PromptContent.from_json({**raw, **extra})


def _seed(gateway: Gateway) -> None:
    """test: `answer` v1 (production) and v2; other: `secret-plan`; shared: `house-style`."""
    engine = gateway.state.engine
    policy = gateway.state.config.section(PROMPTS_SECTION)
    create_version(engine, workload="test", name="answer", content=_content("Be brief."), message="first", actor=ANA)
    review(engine, policy, workload="test", name="answer", version=1, decision="approve", comment="ok", actor=BOB)
    move_label(engine, policy, workload="test", name="answer", label="production", version=1, reason="go", actor=ANA)
    create_version(
        engine,
        workload="test",
        name="answer",
        content=_content("Be brief. <script>alert(1)</script>\nCite sources.", model="gpt-4o"),
        message="cite sources",
        actor=ANA,
    )
    other = Actor("olga", "key_olga", Role.DEVELOPER, KeyKind.PERSON, "other")
    create_version(
        engine, workload="other", name="secret-plan", content=_content("Top secret."), message="", actor=other
    )
    create_version(engine, workload=None, name="house-style", content=_content("Be kind."), message="", actor=ADMIN)


def _signed_in(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_list_and_pages_are_scoped_to_the_workload_and_shared_prompts_marked(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    _seed(gateway)
    viewer = _signed_in(ui_client, gateway, gateway.create_key(workload="test", role=Role.VIEWER).secret)
    page = viewer.get("/ui/prompts")
    assert page.status_code == 200, page.text
    assert 'href="/ui/prompts/answer?workload=test"' in page.text and 'href="/ui/prompts/house-style"' in page.text
    assert "secret-plan" not in page.text
    assert "production → v1" in page.text and "shared" in page.text
    for path in (
        "/ui/prompts/secret-plan",
        "/ui/prompts/secret-plan/versions/1",
        "/ui/prompts/secret-plan/versions/1/review",
        "/ui/prompts/answer?workload=other",
        "/ui/prompts/nope",
    ):
        refused = viewer.get(path)
        assert refused.status_code == 404, path  # another workload's prompt is answered as a missing one
        assert "Top secret" not in refused.text
    assert viewer.get("/ui/prompts?workload=other").status_code == 404
    shared = viewer.get("/ui/prompts/house-style")
    assert shared.status_code == 200 and "Be kind." not in shared.text  # the content is on the version page
    assert "Be kind." in viewer.get("/ui/prompts/house-style/versions/1").text
    admin = _signed_in(ui_client, gateway, "admin-secret")
    everything = admin.get("/ui/prompts").text
    assert "secret-plan" in everything and "answer" in everything and "house-style" in everything
    assert admin.get("/ui/prompts/secret-plan").status_code == 200  # the only prompt of that name
    other = Actor("olga", "key_olga", Role.DEVELOPER, KeyKind.PERSON, "other")
    create_version(
        gateway.state.engine, workload="other", name="answer", content=_content("Theirs."), message="", actor=other
    )
    ambiguous = admin.get("/ui/prompts/answer")
    assert ambiguous.status_code == 404 and "Workloads other, test each have a prompt named" in html.unescape(
        ambiguous.text
    )
    assert "Theirs." in admin.get("/ui/prompts/answer/versions/1?workload=other").text
    assert "Top secret." in admin.get("/ui/prompts/secret-plan/versions/1?workload=other").text
    assert 'href="/ui/prompts/secret-plan?workload=other"' in admin.get("/ui/prompts?workload=other").text


def test_a_prompt_page_shows_versions_label_history_and_reviews(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    _seed(gateway)
    client = _signed_in(ui_client, gateway, gateway.create_key(workload="test", role=Role.VIEWER).secret)
    page = client.get("/ui/prompts/answer").text
    v1 = get_version(gateway.state.engine, workload="test", name="answer", version=1)
    assert v1.content_hash[:12] in page and "cite sources" in page and "first" in page
    history = page.split('id="label-history"')[1].split("</section>")[0]
    assert "ana" in history and "go" in history and "bob" in history  # who, why, the approvers
    reviews = page.split('id="reviews"')[1].split("</section>")[0]
    assert "bob" in reviews and "approve" in reviews and "ok" in reviews
    for form in ("Create a prompt version", "Move a label", "Review this version"):
        assert f'aria-label="{form}"' not in page  # a viewer reads, never changes
    assert 'aria-label="Review this version"' not in client.get("/ui/prompts/answer/versions/2/review").text


def test_a_version_shows_its_text_escaped_and_a_diff_against_production_by_default(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    _seed(gateway)
    client = _signed_in(ui_client, gateway, gateway.create_key(workload="test", role=Role.VIEWER).secret)
    page = client.get("/ui/prompts/answer/versions/2")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Changes from v1 (production) to v2" in page.text
    lines = [html.unescape(line) for line in re.findall(r'<span class="diff-add">([^<]*)</span>', page.text)]
    assert "+Be brief. <script>alert(1)</script>" in lines and "+Cite sources." in lines
    assert '<span class="diff-del">-Be brief.</span>' in page.text
    assert "<code>model</code>" in page.text and "gpt-4o" in page.text  # the model changed too
    production = client.get("/ui/prompts/answer/versions/1").text
    assert "Nothing to compare with" not in production and "Changes from v2" in production  # with the other one
    assert client.get("/ui/prompts/answer/versions/2?against=1").status_code == 200
    assert client.get("/ui/prompts/answer/versions/2?against=abc").status_code == 400
    assert client.get("/ui/prompts/answer/versions/2?against=99999999999999999999").status_code == 400
    assert client.get("/ui/prompts/answer/versions/2?against=9").status_code == 404
    assert client.get("/ui/prompts/answer/versions/9").status_code == 404
    assert client.get("/ui/prompts/answer/versions/x1").status_code == 404


def test_versions_reviews_and_label_moves_from_the_forms_follow_the_apis_rules(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    engine = gateway.state.engine
    ana = _signed_in(ui_client, gateway, gateway.create_key("test", kind=KeyKind.PERSON, owner="ana").secret)
    form = {"name": "answer", "content": YAML, "message": "first draft"}
    assert ana.post("/ui/prompts", form, csrf="").status_code == 403
    made = ana.post("/ui/prompts", form)
    assert made.status_code == 303 and made.headers["Location"] == "/ui/prompts/answer/versions/1?workload=test"
    assert ana.post("/ui/prompts", form).headers["Location"] == made.headers["Location"]  # same content, same version
    assert get_version(engine, workload="test", name="answer").author == "ana"
    move = {"label": "production", "version": "1", "reason": "ship it", "workload": "test"}
    assert ana.post("/ui/prompts/answer/labels", {**move, "version": "²"}).status_code == 400
    assert 'aria-label="Review this version"' in ana.get("/ui/prompts/answer/versions/1/review").text
    unapproved = ana.post("/ui/prompts/answer/labels", move)
    assert unapproved.status_code == 409 and "needs 1 approval(s)" in html.unescape(unapproved.text)
    self_review = ana.post(
        "/ui/prompts/answer/versions/1/reviews", {"decision": "approve", "comment": "mine", "workload": "test"}
    )
    assert self_review.status_code == 403 and "reviewed by someone other than its author" in self_review.text
    app = _signed_in(ui_client, gateway, gateway.create_key("test").secret)
    refused = app.post("/ui/prompts/answer/versions/1/reviews", {"decision": "approve", "comment": "lgtm"})
    assert refused.status_code == 403 and "person" in refused.text  # an application key does not review
    page = app.get("/ui/prompts/answer/versions/1/review").text
    assert 'aria-label="Review this version"' not in page and "rungway keys create --person" in page
    olga = _signed_in(ui_client, gateway, gateway.create_key("other", kind=KeyKind.PERSON, owner="olga").secret)
    assert (
        olga.post("/ui/prompts/answer/versions/1/reviews", {"decision": "approve", "comment": "x"}).status_code == 404
    )
    viewer = _signed_in(
        ui_client, gateway, gateway.create_key("test", role=Role.VIEWER, kind=KeyKind.PERSON, owner="vic").secret
    )
    assert (
        viewer.post("/ui/prompts/answer/versions/1/reviews", {"decision": "approve", "comment": "x"}).status_code == 403
    )
    assert viewer.post("/ui/prompts", form).status_code == 403
    bob = _signed_in(ui_client, gateway, gateway.create_key("test", kind=KeyKind.PERSON, owner="bob").secret)
    approved = bob.post(
        "/ui/prompts/answer/versions/1/reviews", {"decision": "approve", "comment": "read it", "workload": "test"}
    )
    assert (
        approved.status_code == 303
        and approved.headers["Location"] == "/ui/prompts/answer/versions/1/review?workload=test#reviews"
    )
    moved = ana.post("/ui/prompts/answer/labels", move)
    assert moved.status_code == 303 and moved.headers["Location"] == "/ui/prompts/answer?workload=test#label-history"
    assert get_version(engine, workload="test", name="answer", label="production").version == 1
    assert "production" in ana.get("/ui/prompts/answer").text.split('id="label-history"')[1]
    shared = ana.post("/ui/prompts", {**form, "name": "house", "shared": "true"})
    assert shared.status_code == 403 and "Only an admin key" in shared.text


@pytest.mark.parametrize(
    ("fields", "status", "fragment"),
    [
        ({"content": "messages: [\n  {role: user"}, 400, "not valid YAML (line 2"),
        ({"content": "messages: [{role: user, content: '{% if x %}'}]"}, 400, "template logic"),
        ({"name": "no spaces"}, 400, "name must be letters"),
        ({"role": "admin"}, 400, "unknown field"),
        ({"message": "x" * 1001}, 400, "at most 1,000"),
    ],
)
def test_a_bad_form_is_a_400_page_with_the_reason(
    gateway: Gateway, ui_client: Callable[..., UiClient], fields: dict[str, str], status: int, fragment: str
) -> None:
    client = _signed_in(ui_client, gateway, gateway.create_key("test").secret)
    answer = client.post("/ui/prompts", {"name": "answer", "content": YAML, "message": "", **fields})
    assert answer.status_code == status and fragment in html.unescape(answer.text)


def test_the_approval_view_shows_productions_usage_and_says_evaluation_is_missing(
    gateway: Gateway, ui_client: Callable[..., UiClient]
) -> None:
    _seed(gateway)
    import time

    now = time.time()
    calls = [
        RequestRecord(
            id=f"req_p{i}",
            ts_start=now - 60 - i,
            ts_end=now - 59,
            workload=workload,
            key_id=None,
            user=None,
            team=None,
            model_requested="gpt-4o-mini",
            status=500 if i == 0 else 200,
            latency_ms=100.0 * (i + 1),
            tokens_in=1,
            tokens_out=1,
            cost_nano=2_000_000,
            priced=True,
            prompt_name="answer",
            prompt_version=1,
        )
        for i, workload in enumerate(["test", "test", "test", "other"])
    ]
    insert_requests(gateway.state.engine, calls)
    client = _signed_in(ui_client, gateway, gateway.create_key(workload="test", role=Role.VIEWER).secret)
    page = client.get("/ui/prompts/answer/versions/2/review").text
    usage = page.split('id="usage"')[1].split("</section>")[0]
    stat = dict(
        re.findall(
            r'id="usage-(\w+)">\s*<span class="stat-label">[^<]*</span>\s*<span class="stat-value">([^<]*)<', usage
        )
    )
    assert stat == {"calls": "3", "errors": "1", "p50": "200 ms", "cost": "$0.006000"}  # this workload's calls only
    assert "No evaluation runs: the evaluation capability is not installed." in page
    assert "From v1 (production) to v2" in page
    requests_page = client.get("/ui/requests?since=1h").text
    assert 'href="/ui/prompts/answer/versions/1?workload=test">prompt</a>' in requests_page
    assert client.get("/ui/prompts/answer/versions/1?workload=test").status_code == 200
