"""The simulator's moderation: OpenAI's result shape, keyword hits flagged, the same input scored the same."""

from __future__ import annotations

import pytest

from rungway.errors import InvalidRequest
from rungway.providers.base import moderator_of
from rungway.providers.simulator.behaviour import Behaviour
from rungway.providers.simulator.moderation import CATEGORIES, KEYWORDS, moderation_results
from rungway.providers.simulator.provider import SimulatorProvider


def test_every_category_keyword_flags_its_category_and_nothing_else_is_flagged() -> None:
    for category, words in KEYWORDS.items():
        for word in words:
            (result,) = moderation_results(f"Well, {word.upper()}.")
            assert result["categories"][category] is True, (category, word)
            assert result["category_scores"][category] > 0.5
    (calm,) = moderation_results("The weather is calm and the tea is warm.")
    assert calm["flagged"] is False and max(calm["category_scores"].values()) < 0.01
    assert list(calm["categories"]) == list(CATEGORIES)


def test_scores_are_deterministic_and_images_apply_to_image_categories_only() -> None:
    assert moderation_results(["abc", "def"]) == moderation_results(["abc", "def"])
    (image,) = moderation_results([{"type": "image_url", "image_url": {"url": "https://x.test/gore.jpg"}}])
    assert image["categories"]["violence/graphic"] and image["category_applied_input_types"]["hate"] == []


@pytest.mark.parametrize("value", [None, [], [3], [{"type": "image_url", "image_url": {}}]])
def test_a_bad_input_is_refused(value: object) -> None:
    with pytest.raises(InvalidRequest):
        moderation_results(value)


def test_the_simulator_is_a_moderator() -> None:
    assert moderator_of(SimulatorProvider("sim", Behaviour())) is not None
    assert moderator_of(object()) is None
