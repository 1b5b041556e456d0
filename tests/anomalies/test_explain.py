"""Which dimension moved most: the one whose breakdown of the metric changed, and the value that gained it."""

from __future__ import annotations

from rungway.anomalies.explain import explain


def test_the_model_whose_errors_rose_is_named() -> None:
    baseline = {"model": {"a": (100, 2.0), "b": (100, 2.0)}, "provider": {"sim": (200, 4.0)},
                "user": {"u1": (100, 2.0), "u2": (100, 2.0)}}  # fmt: skip
    window = {"model": {"a": (50, 1.0), "b": (50, 40.0)}, "provider": {"sim": (100, 41.0)},
              "user": {"u1": (50, 21.0), "u2": (50, 20.0)}}  # fmt: skip
    found = explain(window, baseline)
    assert (found.dimension, found.value) == ("model", "b")
    assert found.window_share > 0.9 and found.baseline_share == 0.5
    assert found.power > 0.9
    assert found.divergence["provider"] == 0.0  # one value: it never moves
    assert found.divergence["model"] > found.divergence["user"]


def test_a_change_spread_evenly_names_no_dimension() -> None:
    baseline = {"model": {"a": (100, 2.0), "b": (100, 2.0)}}
    window = {"model": {"a": (100, 20.0), "b": (100, 20.0)}}
    found = explain(window, baseline)
    assert found.dimension is None and found.value is None
    assert found.to_json()["dimension"] is None


def test_a_value_new_since_the_baseline_can_be_named() -> None:
    baseline = {"route": {"(default)": (100, 1.0)}}
    window = {"route": {"(default)": (80, 1.0), "canary": (20, 15.0)}}
    found = explain(window, baseline)
    assert (found.dimension, found.value) == ("route", "canary")


def test_no_breakdowns_name_nothing() -> None:
    assert explain({}, {}).dimension is None
