"""An SLO's fields checked one by one: each mistake names the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from rungway.slos.model import SloInvalid, check_slo


def test_a_percentage_or_a_share_and_a_window_in_days() -> None:
    slo = check_slo("w", "chat.avail-1", {"kind": "availability", "objective": 99.5, "window": "7d"})
    assert (slo.objective, slo.window_days, slo.scope) == (0.995, 7, "all calls")
    assert check_slo("w", "x", {"kind": "latency", "objective": 0.9, "threshold_ms": 500, "model": "m",
                                "route": "r"}).scope == "model m, route r"  # fmt: skip


@pytest.mark.parametrize(
    ("name", "raw", "field"),
    [
        ("Bad Name", {"kind": "availability", "objective": 0.99}, "name"),
        ("a", {"kind": "uptime", "objective": 0.99}, "kind"),
        ("a", {"kind": "availability", "objective": 1.0}, "objective"),
        ("a", {"kind": "availability", "objective": 0.2}, "objective"),
        ("a", {"kind": "availability", "objective": True}, "objective"),
        ("a", {"kind": "availability", "objective": 0.99, "window": "14d"}, "window"),
        ("a", {"kind": "latency", "objective": 0.99}, "threshold_ms"),
        ("a", {"kind": "latency", "objective": 0.99, "threshold_ms": 10, "measure": "p99"}, "measure"),
        ("a", {"kind": "availability", "objective": 0.99, "threshold_ms": 10}, "threshold_ms"),
        ("a", {"kind": "availability", "objective": 0.99, "score": "x"}, "score"),
        ("a", {"kind": "quality", "objective": 0.99, "model": "m"}, "model"),
        ("a", {"kind": "availability", "objective": 0.99, "model": ["m"]}, "model"),
        ("a", {"kind": "availability", "objective": 0.99, "description": "x" * 501}, "description"),
    ],
)
def test_each_mistake_names_its_field_and_the_fix(name: str, raw: dict[str, Any], field: str) -> None:
    with pytest.raises(SloInvalid) as caught:
        check_slo("w", name, raw)
    assert caught.value.field == field and "Fix:" in str(caught.value)


def test_the_spec_reads_back_into_the_same_slo() -> None:
    latency = {"kind": "latency", "objective": 0.95, "threshold_ms": 900, "measure": "ttft", "route": "r"}
    for raw in (
        {"kind": "availability", "objective": 0.99},
        {"kind": "quality", "objective": 0.9, "score": "s"},
        latency,
    ):
        slo = check_slo("w", "n", raw)
        assert check_slo("w", "n", slo.spec()) == slo
