"""The namespaced vector index: isolation, FIFO bounds, replacement, removal, validation and cosine values."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rungway.caching.vectors import NamespacedVectors, Neighbour


def unit(rng: np.random.Generator, dims: int) -> np.ndarray:
    v = rng.standard_normal(dims)
    return v / np.linalg.norm(v)


def rounded(found: list[Neighbour]) -> list[tuple[int, float]]:
    """(key, similarity to 5 places) of each neighbour: float32 cosines are exact to about 1e-6."""
    return [(n.key, round(n.similarity, 5)) for n in found]


def test_a_vector_identical_to_another_namespaces_entry_finds_nothing() -> None:
    index = NamespacedVectors()
    rng = np.random.default_rng(1)
    secret = unit(rng, 16)
    index.add("tenant-a/support", 1, secret)
    assert index.search("tenant-b/support", secret) == []
    index.add("tenant-b/support", 2, unit(rng, 16))
    found = index.search("tenant-b/support", secret, k=10)
    assert [n.key for n in found] == [2]
    assert rounded(index.search("tenant-a/support", secret, k=10)) == [(1, 1.0)]


def test_the_same_key_in_two_namespaces_are_two_entries() -> None:
    index = NamespacedVectors()
    index.add("a", 7, [1.0, 0.0])
    index.add("b", 7, [0.0, 1.0])
    assert index.search("a", [1.0, 0.0])[0].similarity == pytest.approx(1.0, abs=1e-6)
    assert index.search("b", [1.0, 0.0])[0].similarity == pytest.approx(0.0, abs=1e-6)
    assert index.remove("a", 7)
    assert index.size("b") == 1


def test_past_the_bound_the_oldest_entry_of_that_namespace_is_evicted() -> None:
    index = NamespacedVectors(max_entries_per_namespace=3)
    rng = np.random.default_rng(2)
    vectors = {key: unit(rng, 8) for key in range(1, 7)}
    for key in (1, 2, 3):
        index.add("a", key, vectors[key])
    index.add("other", 1, vectors[1])
    index.add("a", 4, vectors[4])
    assert index.size("a") == 3
    assert {n.key for n in index.search("a", vectors[1], k=10)} == {2, 3, 4}
    index.add("a", 2, vectors[2])  # re-added: now the newest, so 3 is the oldest
    index.add("a", 5, vectors[5])
    assert {n.key for n in index.search("a", vectors[1], k=10)} == {2, 4, 5}
    index.add("a", 6, vectors[6])
    assert {n.key for n in index.search("a", vectors[1], k=10)} == {2, 5, 6}
    assert index.size("other") == 1


def test_a_namespace_keeps_the_dimensions_of_its_first_vector() -> None:
    index = NamespacedVectors()
    index.add("a", 1, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"3-dimension.*has 4"):
        index.add("a", 2, [1.0, 2.0, 3.0, 4.0])
    index.add("b", 1, [1.0, 2.0, 3.0, 4.0])
    assert index.search("a", [1.0, 2.0, 3.0, 4.0]) == []
    assert index.size("a") == 1


def test_re_adding_a_key_replaces_its_vector() -> None:
    index = NamespacedVectors()
    index.add("a", 1, [1.0, 0.0, 0.0])
    index.add("a", 2, [0.0, 0.0, 1.0])
    index.add("a", 1, [0.0, 1.0, 0.0])
    assert index.size("a") == 2
    assert rounded(index.search("a", [0.0, 1.0, 0.0], k=1)) == [(1, 1.0)]
    assert all(n.similarity < 0.5 for n in index.search("a", [1.0, 0.0, 0.0], k=5))


def test_a_removed_entry_is_no_longer_found() -> None:
    index = NamespacedVectors()
    index.add("a", 1, [1.0, 0.0])
    index.add("a", 2, [0.0, 1.0])
    assert index.remove("a", 1) is True
    assert index.remove("a", 1) is False
    assert index.remove("nowhere", 1) is False
    assert [n.key for n in index.search("a", [1.0, 0.0], k=5)] == [2]
    assert index.remove("a", 2) is True
    assert index.size("a") == 0
    assert index.search("a", [1.0, 0.0]) == []


def test_dropping_a_namespace_forgets_its_entries_and_dimensions() -> None:
    index = NamespacedVectors()
    for key in range(5):
        index.add("a", key, [1.0, float(key)])
    index.add("b", 1, [1.0])
    assert index.namespaces() == ["a", "b"]
    assert index.drop_namespace("a") == 5
    assert index.drop_namespace("a") == 0
    assert index.namespaces() == ["b"]
    assert index.search("a", [1.0, 0.0]) == []
    index.add("a", 1, [1.0, 0.0, 0.0])
    assert index.size("a") == 1


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([1.0, float("nan")], "NaN or infinite"),
        ([1.0, float("inf")], "NaN or infinite"),
        ([1e300, 1.0], "NaN or infinite"),
        ([0.0, 0.0], "zero vector"),
        ([], "non-empty"),
        ([[1.0, 0.0]], "one non-empty row"),
        ([1.0] * 9, "max_dims=8"),
    ],
)
def test_a_vector_nothing_can_be_compared_with_is_refused(vector: list[float], message: str) -> None:
    index = NamespacedVectors(max_dims=8)
    with pytest.raises(ValueError, match=message):
        index.add("a", 1, vector)
    assert index.namespaces() == []


@pytest.mark.parametrize("query", [[0.0, 0.0], [float("nan"), 1.0], [1.0, 0.0, 0.0], [[1.0, 0.0]]])
def test_searching_with_a_vector_of_no_direction_or_other_dimensions_finds_nothing(query: list[float]) -> None:
    index = NamespacedVectors()
    index.add("a", 1, [1.0, 0.0])
    assert index.search("a", query) == []


def test_similarities_are_the_cosines_numpy_computes_best_first() -> None:
    rng = np.random.default_rng(3)
    stored = rng.standard_normal((60, 48)) * rng.uniform(0.1, 10, (60, 1))  # norms do not matter
    index = NamespacedVectors()
    for key, vector in enumerate(stored):
        index.add("a", key, vector)
    query = rng.standard_normal(48)
    cosines = stored @ query / (np.linalg.norm(stored, axis=1) * np.linalg.norm(query))
    expected = np.argsort(-cosines)[:10]
    found = index.search("a", query, k=10)
    assert [n.key for n in found] == expected.tolist()
    assert [n.similarity for n in found] == pytest.approx(cosines[expected].tolist(), abs=1e-5)


def test_min_similarity_drops_the_neighbours_below_it() -> None:
    index = NamespacedVectors()
    index.add("a", 1, [1.0, 0.0])
    index.add("a", 2, [1.0, 1.0])  # cos 0.707 with the query
    index.add("a", 3, [0.0, 1.0])  # cos 0
    assert [n.key for n in index.search("a", [1.0, 0.0], k=3, min_similarity=0.7)] == [1, 2]
    assert [n.key for n in index.search("a", [1.0, 0.0], k=3, min_similarity=0.99)] == [1]
    assert len(index.search("a", [1.0, 0.0], k=3)) == 3


def test_keys_span_the_int64_range_but_its_largest_value() -> None:
    index = NamespacedVectors()
    index.add("a", -1, [1.0, 0.0])
    index.add("a", -(2**63), [0.0, 1.0])
    index.add("a", 2**63 - 2, [-1.0, 0.0])
    index.add("a", 0, [0.0, -1.0])
    for key, vector in ((-1, [1.0, 0.0]), (-(2**63), [0.0, 1.0]), (2**63 - 2, [-1.0, 0.0]), (0, [0.0, -1.0])):
        assert rounded(index.search("a", vector, k=1)) == [(key, 1.0)]
    assert index.remove("a", -1)
    for key in (2**63 - 1, 2**63, -(2**63) - 1):
        with pytest.raises(ValueError, match="int64"):
            index.add("a", key, [1.0, 0.0])
    assert index.size("a") == 3


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="max_entries_per_namespace"):
        NamespacedVectors(max_entries_per_namespace=0)
    with pytest.raises(ValueError, match="max_dims"):
        NamespacedVectors(max_dims=0)
    with pytest.raises(ValueError, match="k must be"):
        NamespacedVectors().search("a", [1.0], k=0)


def test_readers_beside_a_writer_see_a_consistent_index() -> None:
    index = NamespacedVectors(max_entries_per_namespace=200)
    rng = np.random.default_rng(4)
    vectors = [unit(rng, 32) for _ in range(1000)]
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                for n in index.search("a", vectors[0], k=8):
                    assert -1.0 - 1e-5 <= n.similarity <= 1.0 + 1e-5
        except BaseException as exc:  # handed to the main thread, which fails the test
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for key, vector in enumerate(vectors):
            index.add("a", key, vector)
            if key % 7 == 0:
                index.remove("a", key)
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert errors == []
    assert index.size("a") == 200
    assert {n.key for n in index.search("a", vectors[999], k=1)} == {999}
