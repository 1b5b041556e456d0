"""/api/scores on both stores: one score or a batch, idempotent ids, reads scoped to the workload, 4xx naming
the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rungway.domain.keys import Role
from tests.api.http import ADMIN, call
from tests.evals.support import server
from tests.servers import Gateway

TRACE = "0af7651916cd43dd8448eb211c80319c"
OTHER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_scores_of_every_type_are_stored_and_read_back_by_trace_name_and_source(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    dev = gw.create_key("test", owner="ann")
    status, one = call(gw, "POST", "/api/scores", dev.secret, {"trace_id": TRACE, "name": "thumbs", "value": True,
                                                                "comment": "solved it"})  # fmt: skip
    assert status == 201 and one["created"] == 1
    stored = one["data"][0]
    assert (stored["data_type"], stored["value"], stored["source"], stored["workload"], stored["author"]) == (
        "boolean", 1.0, "feedback", "test", "ann")  # fmt: skip
    batch = {"scores": [
        {"trace_id": TRACE, "span_id": "00f067aa0ba902b7", "name": "helpfulness", "value": 0.8, "source": "annotation"},
        {"trace_id": OTHER_TRACE, "name": "tone", "value": "friendly"},
        {"run_id": "run_1", "case_key": "refund-1", "name": "icontains", "value": 1, "source": "eval",
         "scorer": "icontains", "scorer_version": "1"},
    ]}  # fmt: skip
    status, many = call(gw, "POST", "/api/scores", dev.secret, batch)
    assert status == 201 and many["created"] == 3
    assert [(s["data_type"], s["value"], s["string_value"]) for s in many["data"]] == [
        ("numeric", 0.8, None), ("categorical", None, "friendly"), ("numeric", 1.0, None)]  # fmt: skip

    _, of_trace = call(gw, "GET", f"/api/scores?trace_id={TRACE}", dev.secret)
    assert {s["name"] for s in of_trace["data"]} == {"thumbs", "helpfulness"}
    _, named = call(gw, "GET", "/api/scores?name=tone", dev.secret)
    assert [s["trace_id"] for s in named["data"]] == [OTHER_TRACE]
    _, evals = call(gw, "GET", "/api/scores?source=eval&run_id=run_1", dev.secret)
    assert [(s["case_key"], s["scorer"]) for s in evals["data"]] == [("refund-1", "icontains")]
    _, recent = call(gw, "GET", "/api/scores?since=1h&limit=2", dev.secret)
    assert len(recent["data"]) == 2


def test_a_score_sent_twice_with_its_id_is_stored_once(gateway_factory: Callable[..., Gateway], store_url: str) -> None:
    gw = server(gateway_factory, store_url)
    dev = gw.create_key("test")
    body = {"scores": [{"id": "fb-1", "trace_id": TRACE, "name": "thumbs", "value": False},
                       {"id": "fb-2", "trace_id": TRACE, "name": "thumbs", "value": True}]}  # fmt: skip
    assert call(gw, "POST", "/api/scores", dev.secret, body)[0] == 201
    status, again = call(gw, "POST", "/api/scores", dev.secret, body)
    assert status == 200 and again["created"] == 0 and again["duplicates"] == ["fb-1", "fb-2"]
    body["scores"].append({"id": "fb-3", "trace_id": TRACE, "name": "thumbs", "value": True})
    status, third = call(gw, "POST", "/api/scores", dev.secret, body)
    assert status == 201 and third["created"] == 1
    assert len(call(gw, "GET", f"/api/scores?trace_id={TRACE}", dev.secret)[1]["data"]) == 3
    status, within = call(
        gw,
        "POST",
        "/api/scores",
        dev.secret,
        {"scores": [body["scores"][0]] + [{"id": "fb-4", "trace_id": TRACE, "name": "thumbs", "value": True}] * 2},
    )  # a retry inside one batch
    assert status == 201 and within["created"] == 1 and within["duplicates"] == ["fb-1"]
    assert len(call(gw, "GET", f"/api/scores?trace_id={TRACE}", dev.secret)[1]["data"]) == 4
    # The same id in another workload is that workload's own score.
    theirs = gw.create_key("other")
    assert call(gw, "POST", "/api/scores", theirs.secret, body)[1]["created"] == 3
    assert len(call(gw, "GET", "/api/scores", dev.secret)[1]["data"]) == 4


def test_a_key_reads_and_writes_only_its_own_workloads_scores(
    gateway_factory: Callable[..., Gateway], store_url: str
) -> None:
    gw = server(gateway_factory, store_url)
    mine, theirs = gw.create_key("test"), gw.create_key("other")
    assert call(gw, "POST", "/api/scores", mine.secret, {"trace_id": TRACE, "name": "thumbs", "value": 1})[0] == 201
    assert call(gw, "GET", f"/api/scores?trace_id={TRACE}", theirs.secret)[1]["data"] == []
    assert call(gw, "GET", "/api/scores?workload=test", theirs.secret)[0] == 404
    status, body = call(gw, "POST", "/api/scores", theirs.secret,
                        {"workload": "test", "trace_id": TRACE, "name": "x", "value": 1})  # fmt: skip
    assert status == 403 and body["error"]["param"] == "workload"
    viewer = gw.create_key("test", role=Role.VIEWER)
    assert call(gw, "POST", "/api/scores", viewer.secret, {"trace_id": TRACE, "name": "x", "value": 1})[0] == 403
    assert len(call(gw, "GET", "/api/scores", viewer.secret)[1]["data"]) == 1
    status, body = call(gw, "POST", "/api/scores", ADMIN, {"trace_id": TRACE, "name": "x", "value": 1})
    assert status == 400 and body["error"]["param"] == "workload"
    assert call(gw, "POST", "/api/scores", ADMIN, {"workload": "other", "trace_id": TRACE, "name": "x",
                                                   "value": 1})[0] == 201  # fmt: skip
    assert {s["workload"] for s in call(gw, "GET", "/api/scores", ADMIN)[1]["data"]} == {"test", "other"}
    assert {s["workload"] for s in call(gw, "GET", "/api/scores?workload=other", ADMIN)[1]["data"]} == {"other"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "thumbs", "value": 1}, "trace_id"),
        ({"trace_id": "xyz", "name": "thumbs", "value": 1}, "trace_id"),
        ({"trace_id": TRACE, "value": 1}, "name"),
        ({"trace_id": TRACE, "name": "thumbs", "value": 2, "data_type": "boolean"}, "value"),
        ({"trace_id": TRACE, "name": "thumbs", "data_type": "numeric"}, "value"),
        ({"trace_id": TRACE, "name": "thumbs", "value": 1e300}, "value"),
        ({"trace_id": TRACE, "name": "judge", "value": 0.5, "source": "eval"}, "scorer"),
        ({"trace_id": TRACE, "name": "thumbs", "value": 1, "source": "users"}, "source"),
        ({"run_id": "r1", "name": "thumbs", "value": 1}, "case_key"),
        (
            {
                "scores": [
                    {"trace_id": TRACE, "name": "a", "value": 1},
                    {"trace_id": TRACE, "name": "b", "value": "x" * 300},
                ]
            },
            "scores.1.value",
        ),
        (
            {"scores": [{"trace_id": TRACE, "name": "a", "value": 1}, {"trace_id": TRACE, "name": "b"}]},
            "scores[1].value",
        ),
        ({"scores": [{"trace_id": TRACE, "name": "a", "value": 1}] * 1001}, "scores"),
        ({"scores": [{"trace_id": TRACE, "name": "a", "value": 1}], "name": "b"}, "name"),
        ({"trace_id": TRACE, "name": "thumbs", "value": 1, "comment": "x" * 4001}, "comment"),
    ],
)
def test_bad_scores_are_refused_with_a_400_naming_the_field_and_nothing_is_stored(
    gateway_factory: Callable[..., Gateway], store_url: str, body: dict[str, Any], param: str
) -> None:
    gw = server(gateway_factory, store_url)
    dev = gw.create_key("test")
    status, answer = call(gw, "POST", "/api/scores", dev.secret, body)
    assert status == 400, answer
    assert answer["error"]["param"] == param, answer
    assert call(gw, "GET", "/api/scores", dev.secret)[1]["data"] == []
    for query in ("limit=0", "source=users", "since=yesterday"):
        assert call(gw, "GET", f"/api/scores?{query}", dev.secret)[0] == 400
