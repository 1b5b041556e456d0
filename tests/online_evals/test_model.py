"""The call filter: every field given must match; tags are a subset; an empty filter matches every call."""

from __future__ import annotations

from rungway.online_evals.model import CallFacts, CallFilter, config_scorer_id

CALL = CallFacts("gpt-4o", "chat.completions", "gpt-4o-east", "support", 3, {"tier": "gold", "app": "web"})


def test_an_empty_filter_matches_every_call() -> None:
    assert CallFilter().matches(CALL)


def test_each_field_of_the_filter_must_match() -> None:
    assert CallFilter(
        model="gpt-4o",
        endpoint="chat.completions",
        route="gpt-4o-east",
        prompt="support",
        prompt_version=3,
        tags={"tier": "gold"},
    ).matches(CALL)
    for wrong in (
        CallFilter(model="gpt-4o-mini"),
        CallFilter(endpoint="messages"),
        CallFilter(route="gpt-4o-west"),
        CallFilter(prompt="sales"),
        CallFilter(prompt_version=4),
        CallFilter(tags={"tier": "silver"}),
        CallFilter(tags={"missing": "x"}),
    ):
        assert not wrong.matches(CALL), wrong


def test_a_filter_round_trips_through_json() -> None:
    found = CallFilter(model="gpt-4o", prompt_version=2, tags={"a": "b"})
    assert CallFilter.from_json(found.to_json()) == found
    assert CallFilter().to_json() == {}


def test_a_configured_scorer_id_is_stable_and_changes_with_its_spec() -> None:
    first = config_scorer_id("test", "short", {"type": "length", "max": 10})
    assert first == config_scorer_id("test", "short", {"max": 10, "type": "length"})
    assert first != config_scorer_id("test", "short", {"type": "length", "max": 11})
