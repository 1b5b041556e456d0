"""The `slos:` section: declared SLOs per workload, and errors naming the file, line, key path and fix."""

from __future__ import annotations

import pytest
import yaml

from rungway.errors import ConfigError
from rungway.settings.sections import tracked
from rungway.slos.config import parse_slos


def _parse(text: str) -> object:
    return parse_slos(yaml.safe_load(text)["slos"], "rungway.yaml")


def test_declared_slos_and_defaults() -> None:
    config = parse_slos(
        {"tick_s": 5, "workloads": {"bot": {"avail": {"kind": "availability", "objective": 99.9, "window": "28d"}}}}
    )
    slo = config.slos[("bot", "avail")]
    assert (slo.objective, slo.window_days, config.tick_s, config.snapshot_every_s, config.min_calls) == (
        0.999, 28, 5.0, 300.0, 100)  # fmt: skip
    assert parse_slos(None).slos == {}


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"tick_s": 0}, "slos.tick_s"),
        ({"snapshot_every": "5s"}, "slos.snapshot_every"),
        ({"min_calls": 0}, "slos.min_calls"),
        ({"workloads": {"bot": {"a": {"kind": "availability", "objective": 2}}}}, "slos.workloads.bot.a.objective"),
        (
            {"workloads": {"bot": {"a": {"kind": "availability", "objective": 0.9, "treshold_ms": 5}}}},
            "slos.workloads.bot.a.treshold_ms",
        ),
        ({"workloads": {"bot": {"Bad": {"kind": "availability", "objective": 0.9}}}}, "slos.workloads.bot.Bad"),
        ({"windows": 3}, "slos.windows"),
        ({"workloads": [1]}, "slos.workloads"),
    ],
)
def test_a_mistake_names_the_key_path_and_the_fix(raw: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_slos(tracked(raw, "slos", "rungway.yaml"), "rungway.yaml")
    assert where in str(caught.value) and "rungway.yaml" in str(caught.value)
