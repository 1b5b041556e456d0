"""`PageRouter`'s declarations: a record link's address from a request-log row."""

from __future__ import annotations

from rungway.web.pages import PageRouter, RecordLink


def test_a_record_link_quotes_its_value_and_the_other_fields_it_names() -> None:
    router = PageRouter("demo")
    router.link(
        "prompt_name",
        "prompt",
        "/ui/p/{value}/v/{prompt_version}?workload={workload}",
        also=("prompt_version", "workload"),
    )
    (link,) = router.links
    row = {"prompt_name": "a b/c", "prompt_version": 3, "workload": "w&x"}
    assert link.url(row) == "/ui/p/a%20b%2Fc/v/3?workload=w%26x"
    assert link.url({**row, "workload": None}) == "/ui/p/a%20b%2Fc/v/3?workload="
    assert link.url({**row, "prompt_name": None}) is None and link.url({"prompt_name": ""}) is None
    assert RecordLink("trace_id", "trace", "/ui/traces/{value}").url({"trace_id": "ab12"}) == "/ui/traces/ab12"
