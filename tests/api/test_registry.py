"""Declaring management routes (`api/registry.py`): query parameters checked as declared, with a 400
naming the parameter, and an OpenAPI schema that accepts exactly what the check accepts."""

from __future__ import annotations

import jsonschema_rs
import pytest
from aiohttp import web

from rungway.api.registry import ApiRouter, QueryParam, check_query
from rungway.domain.keys import Role
from rungway.errors import InvalidRequest

PARAMS = [
    QueryParam("limit", "at most this many", type="integer", minimum=1, maximum=1000),
    QueryParam("ratio", "a fraction", type="number", minimum=0, maximum=1),
    QueryParam("all", "include revoked", type="boolean"),
    QueryParam("since", "7d, an ISO date or epoch seconds", type="time"),
    QueryParam("kind", "the kind", enum=("blocked", "threshold")),
    QueryParam("name", "a name", max_length=8),
    QueryParam("ref", "a name or name@version", max_length=12, pattern=r"^[a-z]+(@[1-9][0-9]{0,3})?$"),
]
SAMPLES = {
    "limit": ["1", "1000", "0", "1001", "1.5", "abc", "-3"],
    "ratio": ["0", "0.25", "1", "1.5", "nan", "inf", "x"],
    "all": ["true", "FALSE", "yes", "0", "maybe"],
    "since": ["7d", "12h", "1.5w", "2025-01-31", "2025-01-31T12:00Z", "2025-02-30", "1979-12-31", "1700000000",
              "yesterday", "2025-01-31T25:00"],
    "kind": ["blocked", "threshold", "alert"],
    "name": ["ann", "12345678", "123456789", "bad\x00", "tab\there"],
    "ref": ["ab", "ab@3", "ab@0", "AB", "ab\n", "ab@3x", "@3", "abcdefghij@12", "ab@12345"],
}  # fmt: skip


def accepted(param: QueryParam, raw: str) -> bool:
    try:
        param.check(raw)
    except InvalidRequest as error:
        assert error.param == param.name and error.message.startswith(f"query parameter {param.name} must be ")
        return False
    return True


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.name)
def test_the_published_schema_accepts_exactly_what_the_check_accepts(param: QueryParam) -> None:
    validator = jsonschema_rs.validator_for(param.schema())
    for raw in SAMPLES[param.name]:
        value: object = raw
        if param.type in ("integer", "number"):  # OpenAPI clients send numbers as numbers
            try:
                value = int(raw) if param.type == "integer" else float(raw)
            except ValueError:
                value = raw
        assert accepted(param, raw) == validator.is_valid(value), raw


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("limit", "0", "query parameter limit must be between 1 and 1000, got 0"),
        ("limit", "ten", "query parameter limit must be a whole number, got 'ten'"),
        ("ratio", "inf", "query parameter ratio must be a finite number, got 'inf'"),
        ("all", "maybe", "query parameter all must be true or false, got 'maybe'"),
        ("kind", "alert", "query parameter kind must be one of blocked, threshold, got 'alert'"),
        ("name", "123456789", "query parameter name must be printable text of at most 8 characters"),
        ("ref", "ab@0", "query parameter ref must be text matching ^[a-z]+(@[1-9][0-9]{0,3})?$, got 'ab@0'"),
        ("since", "yesterday", "query parameter since must be 7d, 24h, an ISO date/time from 1980"),
    ],
)
def test_a_refusal_names_the_parameter_and_what_it_must_be(name: str, raw: str, message: str) -> None:
    param = next(p for p in PARAMS if p.name == name)
    with pytest.raises(InvalidRequest) as caught:
        param.check(raw)
    assert caught.value.message.startswith(message) and caught.value.status == 400


def test_check_query_skips_absent_optional_parameters_and_requires_required_ones() -> None:
    check_query(PARAMS, {"limit": "", "kind": "blocked"})
    required = [QueryParam("budget", "a budget name", required=True)]
    with pytest.raises(InvalidRequest) as caught:
        check_query(required, {})
    assert caught.value.message == "query parameter budget is required: a budget name"
    with pytest.raises(InvalidRequest, match="query parameter limit"):
        check_query(PARAMS, {"limit": "0", "kind": "nope"})  # the first declared bad parameter


def test_an_unknown_parameter_type_is_a_declaration_bug() -> None:
    with pytest.raises(ValueError, match="type 'date' is not one of"):
        QueryParam("when", "a date", type="date")


def test_a_router_records_each_route_with_its_declaration() -> None:
    router = ApiRouter("budgets")

    @router.route("put", "/api/budgets", summary="Set a budget", role=Role.ADMIN, body={"type": "object"}, status=201)
    async def put(request: web.Request) -> web.StreamResponse:
        return web.Response()

    (route,) = router.routes
    assert (route.method, route.path, route.tag, route.role, route.status, route.handler) == (
        "PUT", "/api/budgets", "budgets", Role.ADMIN, 201, put)  # fmt: skip
    assert route.params == () and route.content_types == ("application/json",)
