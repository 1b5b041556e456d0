"""Management API inputs (`api/bodies.py`): schemas bounded to their columns, the 400 naming the first bad
field, and the helpers that pick fields out of a checked body."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from rungway.api.bodies import NAME, USD_AMOUNT, BodySchema, flag, nullable, optional_str, str_list, text
from rungway.errors import InvalidRequest

SCHEMA = BodySchema(
    {
        "type": "object",
        "properties": {
            "name": NAME,
            "note": nullable(text(20, multiline=True)),
            "amount_usd": USD_AMOUNT,
            "tags": {"type": "object", "properties": {"env": text(8)}, "additionalProperties": False},
        },
        "required": ["name"],
        "additionalProperties": False,
    }
)


def refusal(body: object) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        SCHEMA.check(body)
    return caught.value


def test_a_body_of_the_documented_shape_passes() -> None:
    SCHEMA.check({"name": "n", "note": "two\nlines\twith a tab", "amount_usd": "25.00", "tags": {"env": "prod"}})
    SCHEMA.check({"name": "n", "note": None, "amount_usd": 3})


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({}, "name", "name: is required"),
        ({"name": ""}, "name", "name: "),
        ({"name": "x" * 129}, "name", "name: "),
        ({"name": "bad\x00name"}, "name", "name: must not contain control characters such as NUL"),
        ({"name": "n", "note": "bell\x07"}, "note", "note: must not contain control characters such as NUL"),
        ({"name": "n", "amount_usd": "1e3"}, "amount_usd", "amount_usd: '1e3' does not have the expected form"),
        ({"name": "n", "amount_usd": 0}, "amount_usd", "amount_usd: "),
        (
            {"name": "n", "colour": "red"},
            "colour",
            "colour: unknown field; the known ones are amount_usd, name, note, tags",
        ),
        ({"name": "n", "tags": {"team": "qa"}}, "tags.team", "tags.team: unknown field; the known ones are env"),
        ([], None, "the body: "),
    ],
)
def test_the_first_bad_field_is_named_in_the_400(body: object, param: str | None, message: str) -> None:
    error = refusal(body)
    assert error.param == param and error.status == 400
    assert error.message.startswith(message)


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    error = refusal({"name": "n", "amount_usd": "9" * 500})
    assert len(error.message) < 300 and "'" + "9" * 80 + "'" in error.message


def test_nullable_adds_null_to_the_type() -> None:
    assert nullable({"type": "string"})["type"] == ["string", "null"]
    assert nullable({"type": ["string", "number"]})["type"] == ["string", "number", "null"]


def test_text_bounds_length_and_forbids_control_characters() -> None:
    schema = text(10, "a label", min_length=2)
    assert schema["maxLength"] == 10 and schema["minLength"] == 2 and schema["description"] == "a label"


def test_optional_str_and_str_list_name_the_field() -> None:
    body: dict[str, Any] = {"owner": "ann", "bad": 3, "models": ["a", "b"], "mixed": ["a", 1]}
    assert optional_str(body, "owner") == "ann" and optional_str(body, "absent") is None
    with pytest.raises(InvalidRequest, match="bad must be a string, got 3"):
        optional_str(body, "bad")
    assert str_list(body, "models") == ("a", "b") and str_list(body, "absent") == ()
    with pytest.raises(InvalidRequest, match="mixed must be a list of strings"):
        str_list(body, "mixed")


@pytest.mark.parametrize(("query", "value"), [("?all=true", True), ("?all=YES", True), ("?all=1", True),
                                               ("?all=0", False), ("?all=", False), ("", False)])  # fmt: skip
def test_a_query_flag_is_true_for_true_1_or_yes(query: str, value: bool) -> None:
    assert flag(make_mocked_request("GET", "/api/keys" + query), "all") is value
