"""The simulator's embeddings (`providers/simulator/embedding.py`): texts that share their words are near,
texts that share none are not, and every vector is a deterministic unit vector, whatever the text."""

from __future__ import annotations

import math

import pytest

from rungway.providers.simulator.embedding import embed_text

SEEDS = range(20)


def cosine(first: str, second: str, dims: int = 1536, seed: int = 0) -> float:
    return math.fsum(a * b for a, b in zip(embed_text(first, dims, seed), embed_text(second, dims, seed), strict=True))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("How do I reset my password?", "how can I reset my password"),
        ("Cancel my subscription please", "Please cancel my subscription."),
        ("Show me flights from Boston to Denver", "show me the flights from Boston to Denver"),
    ],
)
@pytest.mark.parametrize("seed", SEEDS)
def test_paraphrases_that_share_their_words_have_a_cosine_above_0_8(first: str, second: str, seed: int) -> None:
    assert cosine(first, second, seed=seed) > 0.8


@pytest.mark.parametrize("seed", SEEDS)
def test_inflected_words_stay_near_through_their_character_trigrams(seed: int) -> None:
    inflected = cosine("Which plans include single sign-on?", "which plan includes single sign on", seed=seed)
    assert inflected > 0.5 > cosine("Which plans include single sign-on?", "which bananas grow in Peru", seed=seed)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("How do I reset my password?", "What is the weather in Paris today?"),
        ("The capital of France is Paris.", "Bananas are yellow."),
        ("Write a poem about the sea", "How do I reset my password?"),
        ("What is the refund policy?", "How do I install Python on Windows?"),
    ],
)
@pytest.mark.parametrize("seed", SEEDS)
def test_unrelated_texts_have_a_cosine_below_0_3(first: str, second: str, seed: int) -> None:
    assert abs(cosine(first, second, seed=seed)) < 0.3


def test_more_shared_words_mean_a_higher_cosine() -> None:
    question = "How do I reset my password?"
    close = cosine(question, "How do I reset my password for the admin account?")
    further = cosine(question, "My password expired yesterday")
    assert 1.0 > close > further > cosine(question, "Bananas are yellow.")


def test_case_punctuation_and_repeated_spaces_do_not_change_the_vector() -> None:
    assert embed_text("Reset my password!", 256, 0) == embed_text("  reset MY password ", 256, 0)


def test_the_same_text_dims_and_seed_give_the_same_vector_and_another_seed_another() -> None:
    first = embed_text("How do I reset my password?", 1536, 7)
    assert first == embed_text("How do I reset my password?", 1536, 7)
    assert (
        abs(math.fsum(a * b for a, b in zip(first, embed_text("How do I reset my password?", 1536, 8), strict=True)))
        < 0.5
    )
    assert cosine("reset my password", "reset the password", seed=8) > 0.5  # the meaning holds under any seed


@pytest.mark.parametrize(
    "text", ["", "   ", "???", "a", "How do I reset my password? " * 80, "¿Qué tal? 👋 日本語のテキスト"]
)
@pytest.mark.parametrize("dims", [1, 2, 3, 64, 1536, 8192])
def test_every_vector_is_a_finite_unit_vector_of_the_asked_dims(text: str, dims: int) -> None:
    vector = embed_text(text, dims, 0)
    assert len(vector) == dims and all(math.isfinite(v) for v in vector)
    assert math.fsum(v * v for v in vector) == pytest.approx(1.0)


def test_empty_texts_share_one_fixed_vector_unlike_punctuation() -> None:
    assert embed_text("", 64, 0) == embed_text("  \n", 64, 0) == embed_text("", 64, 0)
    assert embed_text("", 64, 0) != embed_text("???", 64, 0) != embed_text("!!!", 64, 0)
