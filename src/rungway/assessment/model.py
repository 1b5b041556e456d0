"""The LLMOps maturity model and the rules that turn item verdicts into a stage.

The model itself is data (`rungway/data/maturity_model.yaml`); this module holds its types and
the pure rules: a stage counts when all its items and all earlier stages' items are satisfied
(met, or attested and unexpired); partial credit is shown as a fraction; the next investment
follows the model's own order; drift is any stage drop or item that stopped being satisfied.
Nothing here does I/O: the evidence checks live in each capability's `checks.py`, registered
through `rungway.evidence`; the verdicts they answer with (`Verdict`) are defined there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rungway.evidence import Verdict

DAY_S = 86_400.0
SATISFIED = frozenset({Verdict.MET, Verdict.ATTESTED, Verdict.NOT_APPLICABLE})


class Source(enum.StrEnum):
    """Where an item's verdict came from, best first; attested is never shown as evidenced."""

    EVIDENCED = "evidenced"  # Rungway's own records, through an assessable check
    IMPORTED = "imported"  # runs imported from the tools a team already uses (promptfoo, JUnit)
    ATTESTED = "attested"  # a person signed it off, with a link, until it expires
    RISK_TIER = "risk_tier"  # the item's condition excludes the workload's risk tier
    NONE = "none"  # nothing backs the item: Rungway cannot evidence it and nothing was imported or attested


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """How an item is evidenced: which check, its default threshold (a fraction) and window."""

    id: str
    threshold: float | None = None
    window_days: int = 30


IMPORT_FORMATS = ("promptfoo", "junit")


@dataclass(frozen=True, slots=True)
class ImportSpec:
    """Which imported runs can evidence an item: their formats, the pass rate that meets it and the window.

    `threshold` None: any run in the window meets the item (a red-team run is evidence whatever it found).
    """

    formats: tuple[str, ...]
    threshold: float | None = 1.0
    window_days: int = 30


@dataclass(frozen=True, slots=True)
class Condition:
    """When an item applies: the seed's "for regulated workloads", "where the architecture requires it".

    `risk_tiers` (None: every tier) are the tiers it applies to; outside them the item is not applicable.
    Any conditional item may also be attested "not applicable" by a person, with a link saying why.
    """

    text: str
    risk_tiers: tuple[str, ...] | None = None

    def applies_to(self, risk_tier: str) -> bool:
        return self.risk_tiers is None or risk_tier in self.risk_tiers


@dataclass(frozen=True, slots=True)
class MaturityItem:
    """One capability of one stage: evidenced by a check, imported runs, or attested by a person."""

    id: str
    stage: int
    title: str
    description: str
    guidance: str
    builds_with: str
    check: CheckSpec | None = None
    imports: ImportSpec | None = None
    condition: Condition | None = None
    # `attested: true` beside a `check:`: a person may attest the item while its check cannot assess it
    # (a team that reviews prompts outside Rungway's library); the check wins whenever it can assess
    attestable: bool = False

    @property
    def attested(self) -> bool:
        """Only a person can evidence it (no check): an on-call rotation, a governance process."""
        return self.check is None


@dataclass(frozen=True, slots=True)
class StageInfo:
    number: int
    name: str
    summary: str


@dataclass(frozen=True)
class MaturityModel:
    """The whole model: stages, items, the investment order and default target stages."""

    version: str
    stages: tuple[StageInfo, ...]
    items: tuple[MaturityItem, ...]
    investment_order: tuple[str, ...]
    target_stages: Mapping[str, int]

    def item(self, item_id: str) -> MaturityItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def items_of(self, stage: int) -> tuple[MaturityItem, ...]:
        return tuple(i for i in self.items if i.stage == stage)

    @property
    def top_stage(self) -> int:
        return max(s.number for s in self.stages)

    def stage_name(self, number: int) -> str:
        return next((s.name for s in self.stages if s.number == number), str(number))


def _need(raw: Mapping[str, Any], key: str, where: str, kind: type) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    return value


def _parse_item(raw: Mapping[str, Any], where: str) -> MaturityItem:
    check_raw = raw.get("check")
    check: CheckSpec | None = None
    if check_raw is not None:
        if not isinstance(check_raw, Mapping) or not isinstance(check_raw.get("id"), str):
            raise ValueError(f"{where}.check: expected a mapping with an `id`")
        threshold = check_raw.get("threshold")
        check = CheckSpec(
            id=check_raw["id"],
            threshold=float(threshold) if threshold is not None else None,
            window_days=int(check_raw.get("window_days", 30)),
        )
    elif raw.get("attested") is not True:
        raise ValueError(f"{where}: an item needs `check:` or `attested: true`")
    if raw.get("attested") not in (None, True):
        raise ValueError(f"{where}.attested: expected true (or no key), got {raw.get('attested')!r}")
    return MaturityItem(
        id=_need(raw, "id", where, str),
        stage=_need(raw, "stage", where, int),
        title=_need(raw, "title", where, str),
        description=_need(raw, "description", where, str),
        guidance=" ".join(_need(raw, "guidance", where, str).split()),
        builds_with=_need(raw, "builds_with", where, str),
        check=check,
        imports=_parse_imports(raw.get("imports"), f"{where}.imports"),
        condition=_parse_condition(raw.get("condition"), f"{where}.condition"),
        attestable=raw.get("attested") is True,
    )


def _parse_imports(raw: object, where: str) -> ImportSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("formats"), list) or not raw["formats"]:
        raise ValueError(f"{where}: expected a mapping with `formats: [promptfoo, junit]`")
    formats = tuple(str(f) for f in raw["formats"])
    unknown = [f for f in formats if f not in IMPORT_FORMATS]
    if unknown:
        raise ValueError(f"{where}.formats: unknown {unknown}; use {', '.join(IMPORT_FORMATS)}")
    threshold = raw.get("threshold", 1.0)
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
        raise ValueError(f"{where}.threshold: expected a fraction or null, got {threshold!r}")
    return ImportSpec(formats, float(threshold) if threshold is not None else None, int(raw.get("window_days", 30)))


def _parse_condition(raw: object, where: str) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("text"), str):
        raise ValueError(f"{where}: expected a mapping with `text:` (and optional `risk_tiers: [...]`)")
    tiers = raw.get("risk_tiers")
    if tiers is not None and (not isinstance(tiers, list) or not all(isinstance(t, str) for t in tiers)):
        raise ValueError(f"{where}.risk_tiers: expected a list of risk tiers")
    return Condition(raw["text"], tuple(tiers) if tiers is not None else None)


def parse_model(raw: Mapping[str, Any]) -> MaturityModel:
    """Validate the model file's values; errors name the key path."""
    stages = tuple(
        StageInfo(_need(s, "number", f"stages[{n}]", int), _need(s, "name", f"stages[{n}]", str), s.get("summary", ""))
        for n, s in enumerate(raw.get("stages") or [])
    )
    items = tuple(_parse_item(r, f"items[{n}]") for n, r in enumerate(raw.get("items") or []))
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError("items: duplicate item ids")
    numbers = {s.number for s in stages}
    for item in items:
        if item.stage not in numbers:
            raise ValueError(f"items.{item.id}.stage: {item.stage} is not a declared stage")
    order = tuple(raw.get("investment_order") or ())
    if sorted(order) != sorted(ids):
        raise ValueError("investment_order: must list every item id exactly once")
    targets = {str(k): int(v) for k, v in (raw.get("target_stages") or {}).items()}
    return MaturityModel(str(raw.get("version", "")), stages, items, order, targets)


@dataclass(frozen=True, slots=True)
class Attestation:
    """A signed-off statement that a workload has an item Rungway cannot evidence."""

    id: str
    workload: str
    item_id: str
    attested_by: str
    link: str
    created_at: float
    expires_at: float
    note: str = ""
    acting_key: str | None = None  # the id of the person's key that made it (None: the CLI, with store access)
    not_applicable: bool = False  # attests that a conditional item does not apply to the workload

    def active(self, now: float) -> bool:
        return self.created_at <= now < self.expires_at


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item's verdict for one workload, with the evidence behind it."""

    item_id: str
    verdict: Verdict
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    threshold: str | None = None
    source: Source = Source.NONE
    lowered: str | None = None  # set when the organisation lowered the model's threshold: shown in every format

    @property
    def satisfied(self) -> bool:
        return self.verdict in SATISFIED

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item_id,
            "verdict": self.verdict.value,
            "source": self.source.value,
            "reason": self.reason,
            "evidence": dict(self.evidence),
            "threshold": self.threshold,
            "threshold_lowered": self.lowered,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ItemResult:
        return cls(
            raw["item"],
            Verdict(raw["verdict"]),
            raw["reason"],
            raw.get("evidence") or {},
            raw.get("threshold"),
            Source(raw.get("source") or Source.NONE),
            raw.get("threshold_lowered"),
        )


def attestation_result(item: MaturityItem, attestations: Sequence[Attestation], now: float) -> ItemResult:
    """An item from its attestations: attested (or not applicable) while one is active; unmet before or after.

    The acting key is shown beside the name given, so a reviewer sees who really signed it off.
    """
    mine = sorted((a for a in attestations if a.item_id == item.id), key=lambda a: a.expires_at)
    active = [a for a in mine if a.active(now)]
    if active:
        a = active[-1]
        evidence: dict[str, Any] = {"attestation": a.id, "by": a.attested_by, "acting_key": a.acting_key or "cli"}
        evidence["link"] = a.link
        evidence |= {"at": a.created_at, "expires_at": a.expires_at}
        if a.not_applicable:
            why = item.condition.text if item.condition else "a condition"
            reason = f"attested not applicable ({why}) by {a.attested_by}"
            return ItemResult(item.id, Verdict.NOT_APPLICABLE, reason, evidence, source=Source.ATTESTED)
        return ItemResult(item.id, Verdict.ATTESTED, f"attested by {a.attested_by}", evidence, source=Source.ATTESTED)
    if mine:
        a = mine[-1]
        evidence = {"attestation": a.id, "by": a.attested_by, "link": a.link, "expired_at": a.expires_at}
        return ItemResult(
            item.id,
            Verdict.UNMET,
            f"attestation expired; renew it with `rungway assess attest {item.id} --workload W --by NAME --link URL`",
            evidence,
        )
    return ItemResult(
        item.id, Verdict.UNMET, "not attested: Rungway cannot evidence this item, a person must sign it off"
    )


@dataclass(frozen=True, slots=True)
class StageProgress:
    """How much of one stage a workload has: satisfied items, partial ones, and the credit fraction."""

    stage: int
    satisfied: int
    partial: int
    not_assessable: int
    total: int

    @property
    def credit(self) -> float:
        return (self.satisfied + 0.5 * self.partial) / self.total if self.total else 1.0

    @property
    def fraction(self) -> str:
        got = self.satisfied + 0.5 * self.partial
        return f"{got:g}/{self.total}"

    @property
    def complete(self) -> bool:
        return self.satisfied == self.total


def stage_progress(model: MaturityModel, results: Mapping[str, ItemResult]) -> tuple[StageProgress, ...]:
    out = []
    for stage in model.stages:
        items = model.items_of(stage.number)
        verdicts = [results[i.id].verdict for i in items]
        out.append(
            StageProgress(
                stage.number,
                sum(v in SATISFIED for v in verdicts),
                sum(v is Verdict.PARTIAL for v in verdicts),
                sum(v is Verdict.NOT_ASSESSABLE for v in verdicts),
                len(items),
            )
        )
    return tuple(out)


def stage_reached(model: MaturityModel, results: Mapping[str, ItemResult]) -> int:
    """The highest stage whose items, and all earlier stages' items, are all satisfied."""
    reached = min(s.number for s in model.stages)
    for progress in sorted(stage_progress(model, results), key=lambda p: p.stage):
        if not progress.complete:
            break
        reached = progress.stage
    return reached


def next_investment(model: MaturityModel, results: Mapping[str, ItemResult]) -> str | None:
    """The single highest-impact next item: the earliest unfinished stage first, then the model's order.

    Items a team can act on (unmet, partial, or not assessable yet but evidenced by imported runs) come
    before items whose feature does not exist yet.
    """
    order = {item_id: n for n, item_id in enumerate(model.investment_order)}
    open_items = [i for i in model.items if not results[i.id].satisfied]
    if not open_items:
        return None

    def blocked(item: MaturityItem) -> bool:
        return results[item.id].verdict is Verdict.NOT_ASSESSABLE and item.imports is None

    def rank(item: MaturityItem) -> tuple[int, int, int]:
        return (item.stage, int(blocked(item)), order[item.id])

    actionable = [i for i in open_items if not blocked(i)]
    lowest = min(i.stage for i in open_items)
    in_reach = [i for i in actionable if i.stage <= lowest + 1]
    return min(in_reach or open_items, key=rank).id


def next_investments(model: MaturityModel, results: Mapping[str, ItemResult], count: int = 3) -> tuple[str, ...]:
    """The next `count` investments in sequence: each chosen as if the ones before it were done."""
    chosen: list[str] = []
    remaining = dict(results)
    for _ in range(count):
        pick = next_investment(model, remaining)
        if pick is None:
            break
        chosen.append(pick)
        remaining[pick] = replace(remaining[pick], verdict=Verdict.MET)
    return tuple(chosen)


def target_stage(risk_tier: str, targets: Mapping[str, int]) -> int:
    return targets.get(risk_tier, 2)


@dataclass(frozen=True)
class WorkloadAssessment:
    """One workload's assessment: the stage from evidence, the diagnostic and the next investment."""

    workload: str
    assessed_at: float
    model_version: str
    risk_tier: str
    stage: int
    target_stage: int
    claimed_stage: int | None
    progress: tuple[StageProgress, ...]
    results: Mapping[str, ItemResult]
    next_investment: str | None
    next_investments: tuple[str, ...] = ()

    @property
    def gap(self) -> int:
        return max(0, self.target_stage - self.stage)

    @property
    def over_claim(self) -> bool:
        """The team claims a stage above the one its evidence shows."""
        return self.claimed_stage is not None and self.claimed_stage > self.stage

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "assessed_at": self.assessed_at,
            "model_version": self.model_version,
            "risk_tier": self.risk_tier,
            "stage": self.stage,
            "target_stage": self.target_stage,
            "gap": self.gap,
            "claimed_stage": self.claimed_stage,
            "over_claim": self.over_claim,
            "progress": [
                {"stage": p.stage, "satisfied": p.satisfied, "partial": p.partial, "total": p.total}
                | {"not_assessable": p.not_assessable, "fraction": p.fraction, "credit": round(p.credit, 4)}
                for p in self.progress
            ],
            "items": [r.to_dict() for r in self.results.values()],
            "next_investment": self.next_investment,
            "next_investments": list(self.next_investments),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> WorkloadAssessment:
        results = {r["item"]: ItemResult.from_dict(r) for r in raw["items"]}
        progress = tuple(
            StageProgress(p["stage"], p["satisfied"], p["partial"], p["not_assessable"], p["total"])
            for p in raw["progress"]
        )
        return cls(
            raw["workload"],
            raw["assessed_at"],
            raw["model_version"],
            raw["risk_tier"],
            raw["stage"],
            raw["target_stage"],
            raw.get("claimed_stage"),
            progress,
            results,
            raw.get("next_investment"),
            tuple(raw.get("next_investments") or ()),
        )


def assess_workload(
    model: MaturityModel,
    *,
    workload: str,
    risk_tier: str,
    results: Mapping[str, ItemResult],
    assessed_at: float,
    claimed_stage: int | None,
    targets: Mapping[str, int],
) -> WorkloadAssessment:
    """Combine item results (one per model item) into the workload's assessment."""
    missing = [i.id for i in model.items if i.id not in results]
    if missing:
        raise ValueError(f"no result for items {missing}")
    ordered = {i.id: results[i.id] for i in model.items}
    return WorkloadAssessment(
        workload=workload,
        assessed_at=assessed_at,
        model_version=model.version,
        risk_tier=risk_tier,
        stage=stage_reached(model, ordered),
        target_stage=target_stage(risk_tier, targets),
        claimed_stage=claimed_stage,
        progress=stage_progress(model, ordered),
        results=ordered,
        next_investment=next_investment(model, ordered),
        next_investments=next_investments(model, ordered),
    )


@dataclass(frozen=True, slots=True)
class Drift:
    """A workload lost maturity between two assessments: its stage dropped, or items stopped being satisfied."""

    workload: str
    previous_stage: int
    current_stage: int
    previous_assessed_at: float
    regressed_items: tuple[str, ...]

    @property
    def stage_dropped(self) -> bool:
        return self.current_stage < self.previous_stage

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "previous_stage": self.previous_stage,
            "current_stage": self.current_stage,
            "previous_assessed_at": self.previous_assessed_at,
            "regressed_items": list(self.regressed_items),
            "stage_dropped": self.stage_dropped,
        }


def detect_drift(previous: WorkloadAssessment | None, current: WorkloadAssessment) -> Drift | None:
    """Drift when the stage drops or an item satisfied last time is not satisfied now."""
    if previous is None:
        return None
    regressed = tuple(
        item_id
        for item_id, before in previous.results.items()
        if before.satisfied and item_id in current.results and not current.results[item_id].satisfied
    )
    if not regressed and current.stage >= previous.stage:
        return None
    return Drift(current.workload, previous.stage, current.stage, previous.assessed_at, regressed)
