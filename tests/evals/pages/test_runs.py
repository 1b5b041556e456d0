"""The eval run pages over plain HTTP against a real gateway: the list scoped to the workload and filtered,
a run's page (pass rate with its interval, failing cases first, explanations escaped, trace links), and
another workload's run a 404 page like a missing one (the browser flow is in tests/web/test_browser_evals.py)."""

from __future__ import annotations

from collections.abc import Callable

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.evals.pages.support import seed_run
from tests.servers import Gateway
from tests.web.support import UiClient


def _signed_in(ui_client: Callable[..., UiClient], gateway: Gateway, secret: str) -> UiClient:
    client = ui_client(gateway)
    assert client.sign_in(secret).status_code == 303
    return client


def test_the_runs_list_is_scoped_and_filtered(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    mine = seed_run(gateway)
    theirs = seed_run(gateway, workload="other", dataset="secret-set")
    viewer = _signed_in(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get("/ui/evals/runs")
    assert page.status_code == 200, page.text
    assert f'href="/ui/evals/runs/{mine}"' in page.text and "faq@1" in page.text
    assert theirs not in page.text and "secret-set" not in page.text
    assert "66.7%" in page.text  # 2 of 3 passed
    for query, shown in (("?dataset=faq", True), ("?dataset=nope", False), ("?status=running", False),
                         ("?status=finished", True), ("?workload=other", False)):  # fmt: skip
        page = viewer.get("/ui/evals/runs" + query)
        assert page.status_code == 200 and (mine in page.text) is shown, query
    assert viewer.get("/ui/evals/runs?status=bogus").status_code == 400
    admin = _signed_in(ui_client, gateway, "admin-secret")
    page = admin.get("/ui/evals/runs?workload=other")
    assert theirs in page.text and mine not in page.text


def test_a_runs_page_shows_failing_cases_first_and_another_workloads_run_is_a_404(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    mine = seed_run(gateway, failing=2, passing=3)
    theirs = seed_run(gateway, workload="other", dataset="secret-set")
    viewer = _signed_in(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get(f"/ui/evals/runs/{mine}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "60.0%" in text and "3 of 5" in text  # pass rate and its interval's neighbours
    assert text.index("fail-0") < text.index("pass-0")
    assert "&lt;b&gt;not found&lt;/b&gt;" in text and "<b>not found</b>" not in text
    assert f'href="/ui/traces/{0:032x}"' in text
    for path in (f"/ui/evals/runs/{theirs}", "/ui/evals/runs/run_missing"):
        answer = viewer.get(path)
        assert answer.status_code == 404 and "secret-set" not in answer.text, path
    assert _signed_in(ui_client, gateway, "admin-secret").get(f"/ui/evals/runs/{theirs}").status_code == 200


def test_compare_shows_regressions_and_improvements_and_refuses_another_workloads_run(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    a = seed_run(gateway, outcomes={"k1": True, "k2": True, "k3": False})
    b = seed_run(gateway, outcomes={"k1": True, "k2": False, "k3": True})
    theirs = seed_run(gateway, workload="other", dataset="faq")
    viewer = _signed_in(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get(f"/ui/evals/runs-compare?a={a}&b={b}")
    assert page.status_code == 200, page.text
    regressions = page.text[page.text.index('id="regressions"') : page.text.index('id="improvements"')]
    improvements = page.text[page.text.index('id="improvements"') :]
    assert "k2" in regressions and "k3" not in regressions and "k3" in improvements and "k2" not in improvements
    assert "noise" in page.text  # three cases: no significant verdict
    assert viewer.get(f"/ui/evals/runs-compare?a={a}&b={theirs}").status_code == 404
    assert viewer.get(f"/ui/evals/runs-compare?a={a}").status_code == 400
    assert viewer.get(f"/ui/evals/runs-compare?a={a}&b=not-a-run").status_code == 400


def test_annotating_a_case_records_an_annotation_score_with_the_api_rules(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    mine = seed_run(gateway, failing=1, passing=1)
    theirs = seed_run(gateway, workload="other", dataset="secret-set")
    path = f"/ui/evals/runs/{mine}/annotations"
    form = {"case_key": "fail-0", "repeat": "0", "name": "correct", "value": "0.5", "comment": "half right"}
    viewer = _signed_in(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    assert "Annotate fail-0" not in viewer.get(f"/ui/evals/runs/{mine}").text  # a viewer sees no form
    assert viewer.post(path, form).status_code == 403
    developer = _signed_in(ui_client, gateway, gateway.create_key("test").secret)
    assert "Annotate fail-0" in developer.get(f"/ui/evals/runs/{mine}").text
    assert developer.post(path, form, csrf="forged").status_code == 403
    for change, status in (({"value": "lots"}, 400), ({"name": "!bad"}, 400), ({"case_key": "nope"}, 404),
                           ({"repeat": "x"}, 400), ({"surprise": "1"}, 400)):  # fmt: skip
        assert developer.post(path, {**form, **change}).status_code == status, change
    assert developer.post(f"/ui/evals/runs/{theirs}/annotations", form).status_code == 404
    answer = developer.post(path, form)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/ui/evals/runs/{mine}#annotated"
    status, scores = call(gateway, "GET", f"/api/scores?run_id={mine}&source=annotation", ADMIN)
    assert status == 200 and len(scores["data"]) == 1
    score = scores["data"][0]
    assert (score["case_key"], score["value"], score["trace_id"], score["workload"]) == (
        "fail-0",
        0.5,
        f"{0:032x}",
        "test",
    )
    assert "half right" in developer.get(f"/ui/evals/runs/{mine}").text


def test_the_overview_panel_shows_each_visible_workloads_latest_run(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    seed_run(gateway)
    latest = seed_run(gateway, failing=0, passing=1)
    theirs = seed_run(gateway, workload="other", dataset="secret-set")
    viewer = _signed_in(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get("/ui")
    assert page.status_code == 200 and "Latest eval runs" in page.text
    assert f'href="/ui/evals/runs/{latest}"' in page.text and theirs not in page.text
    assert page.text.count('href="/ui/evals/runs/run_') == 1
    admin = _signed_in(ui_client, gateway, "admin-secret").get("/ui")
    assert latest in admin.text and theirs in admin.text


def test_datasets_are_listed_in_scope_and_a_versions_cases_paged(
    store_url: str, gateway_factory: Callable[..., Gateway], ui_client: Callable[..., UiClient]
) -> None:
    gateway = gateway_factory(store_url=store_url)
    cases = [{"key": f"c{i:02d}", "vars": {"q": f'say "hi" <b>{i}</b>'}} for i in range(60)]
    status, made = call(gateway, "POST", "/api/datasets", ADMIN, {"name": "big", "workload": "test", "cases": cases})
    assert status == 201, made
    seed_run(gateway, workload="other", dataset="secret-set")
    viewer = _signed_in(ui_client, gateway, gateway.create_key("test", role=Role.VIEWER).secret)
    page = viewer.get("/ui/evals/datasets")
    assert page.status_code == 200 and 'href="/ui/evals/datasets/big/versions/1?workload=test"' in page.text
    assert "secret-set" not in page.text
    first = viewer.get("/ui/evals/datasets/big/versions/1?workload=test")
    assert first.status_code == 200 and "c00" in first.text and "c49" in first.text and "c50" not in first.text
    assert "&lt;b&gt;" in first.text and "<b>0</b>" not in first.text
    assert 'href="/ui/evals/datasets/big/versions/1?workload=test&amp;offset=50"' in first.text
    second = viewer.get("/ui/evals/datasets/big/versions/1?workload=test&offset=50")
    assert "c59" in second.text and "c49" not in second.text
    for path in ("/ui/evals/datasets/secret-set/versions/1", "/ui/evals/datasets/secret-set/versions/1?workload=other",
                 "/ui/evals/datasets/big/versions/2"):  # fmt: skip
        assert viewer.get(path).status_code == 404, path
    assert viewer.get("/ui/evals/datasets/big/versions/1?offset=-1").status_code == 400
