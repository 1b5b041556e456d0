"""A binding of a dataset to a workload's prompt, and the requirement a run must meet (`pass_rate>=0.9`).

The requirement is one comparison of a run's figure with a number: `pass_rate` (the share of passing cases)
or `pass_rate_low` (the lower end of its 95% Wilson interval, which asks for enough cases too), with `>=`
or `>`. It is kept as the text the user wrote, parsed again where it is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rungway.errors import InvalidRequest

__all__ = ["REQUIREMENT_PATTERN", "Binding", "Requirement"]

REQUIREMENT_PATTERN = r"^\s*(pass_rate|pass_rate_low)\s*(>=|>)\s*(0(\.[0-9]{1,6})?|1(\.0{1,6})?)\s*$"


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a run of a bound dataset must reach."""

    metric: str
    op: str
    threshold: float

    @classmethod
    def parse(cls, raw: str) -> Requirement:
        match = re.fullmatch(REQUIREMENT_PATTERN, raw)
        if match is None:
            raise InvalidRequest(
                f"requirement {raw[:80]!r} is not valid: write METRIC>=NUMBER with pass_rate or pass_rate_low "
                "and a number from 0 to 1, e.g. 'pass_rate>=0.9'",
                param="requirement",
            )
        return cls(match.group(1), match.group(2), float(match.group(3)))

    def met_by(self, pass_rate: float | None, pass_rate_low: float | None) -> bool:
        value = pass_rate if self.metric == "pass_rate" else pass_rate_low
        if value is None:
            return False
        return value >= self.threshold if self.op == ">=" else value > self.threshold

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.threshold:g}"


@dataclass(frozen=True, slots=True)
class Binding:
    """Dataset `dataset` (the workload's own or a shared one) gates the workload's prompt `prompt`."""

    id: str
    workload: str
    prompt: str
    dataset: str
    requirement: str
    created_at: float
    created_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workload": self.workload,
            "prompt": self.prompt,
            "dataset": self.dataset,
            "requirement": self.requirement,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }
