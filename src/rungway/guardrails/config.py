"""The `guardrails:` section of rungway.yaml: what each workload's filters do to its input and its answers.

    guardrails:
      lookbehind_chars: 256        # streamed answers: characters held back so a value split across chunks
                                   # is seen whole (16..4096)
      max_scan_chars: 100000       # text scanned per call and direction; past it the rest is not scanned
                                   # (recorded as the hit `guardrails.unscanned`, flagged)
      default:                     # workloads without their own policy
        input:
          secrets: {action: block}
          pii: {action: redact, restore: true}     # placeholders upstream, values back in the answer
          terms: {action: block, options: {terms: [project-x]}}
        output:
          secrets: {action: block}
          pii: {action: redact}
          output: {action: flag, options: {max_chars: 8000}}
          judge: {action: block, options: {model: gpt-4o-mini, rubric: "asks how to harm someone"}}
      workloads:
        support-bot:               # a direction given here replaces the default's for that direction
          input: {injection: {action: block}}

Each entry names a registered detector (`rungway.guardrails.public.detector_names()`), the action
(`block`: an OpenAI-style error naming the rule, `redact`: typed placeholders, `flag`: pass and record) and
the detector's options, checked at start by building it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.domain.guard_hits import GUARD_ACTIONS
from rungway.errors import ConfigError
from rungway.guardrails.public import AsyncDetector, Detector, DetectorOptionError, UnknownDetector, detector
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = [
    "GUARDRAILS_SECTION",
    "DirectionPolicy",
    "GuardRule",
    "GuardrailsConfig",
    "WorkloadPolicy",
    "parse_guardrails",
]

LOOKBEHIND_RANGE = (16, 4096)
MAX_SCAN_RANGE = (1_000, 10_000_000)
_POLICY_EXAMPLE = "{input: {secrets: {action: block}}}"


@dataclass(frozen=True, slots=True)
class GuardRule:
    """One detector with its options and what the policy does with its findings."""

    name: str  # the detector's registry name (a metrics label: configuration only)
    action: str  # block | redact | flag
    detector: Detector
    restore: bool = False  # redact only: put the values back in the answer
    judge_model: str | None = None  # the model a judge asks: checked against `models:` when the server starts
    unserved: ConfigError | None = None  # raised at start when `judge_model` is not served (names file and line)


@dataclass(frozen=True, slots=True)
class DirectionPolicy:
    """The rules for one direction; empty means that direction is not filtered."""

    rules: tuple[GuardRule, ...] = ()
    judged: bool = False  # some rule's detector is async (a judge): the filters await it

    @property
    def restores(self) -> bool:
        return any(r.restore for r in self.rules)


@dataclass(frozen=True, slots=True)
class WorkloadPolicy:
    input: DirectionPolicy = field(default_factory=DirectionPolicy)
    output: DirectionPolicy = field(default_factory=DirectionPolicy)

    @property
    def active(self) -> bool:
        return bool(self.input.rules or self.output.rules)


@dataclass(frozen=True, slots=True)
class GuardrailsConfig:
    default: WorkloadPolicy = field(default_factory=WorkloadPolicy)
    workloads: dict[str, WorkloadPolicy] = field(default_factory=dict)
    lookbehind_chars: int = 256
    max_scan_chars: int = 100_000

    def policy_for(self, workload: str | None) -> WorkloadPolicy:
        if workload is None:
            return self.default
        return self.workloads.get(workload, self.default)

    @property
    def active(self) -> bool:
        return self.default.active or any(p.active for p in self.workloads.values())


def _mapping(raw: Any, key_path: str, source: str, example: str, parent: ConfigMapping) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, parent.lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        raise parent.error(key_path, f"expected a mapping, got {type(raw).__name__}", f"write e.g. `{example}`")
    return data


def _rule(name: str, entry: ConfigMapping) -> GuardRule:
    path = entry.key_path
    action = entry.get("action")
    if action not in GUARD_ACTIONS:
        raise entry.error(
            f"{path}.action",
            f"expected one of {', '.join(GUARD_ACTIONS)}, got {action!r}",
            "write e.g. `action: redact`",
        )
    restore = entry.get("restore", False)
    if not isinstance(restore, bool):
        raise entry.error(f"{path}.restore", f"expected true or false, got {restore!r}", "write `restore: true`")
    if restore and action != "redact":
        raise entry.error(
            f"{path}.restore",
            f"only `redact` restores values (action is {action})",
            "remove `restore` or use `action: redact`",
        )
    options_raw = _mapping(entry.get("options"), f"{path}.options", entry.path, "{terms: [acme]}", entry)
    options = options_raw.delegate()
    try:
        built = detector(name, **options)
    except UnknownDetector as error:
        raise entry.error(
            path, str(error).split(". Fix: ")[0], str(error).partition(". Fix: ")[2] or "see docs"
        ) from None
    except (DetectorOptionError, TypeError, ValueError) as error:
        message = str(error)
        problem, _, fix = message.partition(". Fix: ")
        raise entry.error(f"{path}.options", problem, fix or "see docs/guardrails.md for its options") from None
    if action == "redact" and isinstance(built, AsyncDetector):
        raise entry.error(
            f"{path}.action",
            f"the {name} detector judges the whole text, which cannot be redacted",
            "use `action: block` or `action: flag`",
        )
    model = getattr(built, "model", None) if isinstance(built, AsyncDetector) else None
    unserved = None
    if isinstance(model, str):
        unserved = entry.error(
            f"{path}.options.model",
            f"the judge model {model!r} is not in `models:`",
            "name a model this gateway serves, or add it under `models:`",
        )
    return GuardRule(name, action, built, restore, model if isinstance(model, str) else None, unserved)


def _direction(raw: Any, key_path: str, parent: ConfigMapping) -> DirectionPolicy:
    data = _mapping(raw, key_path, parent.path, "{secrets: {action: block}}", parent)
    rules = []
    for name, value in data.items():
        entry = _mapping(value, f"{key_path}.{name}", parent.path, "{action: block}", data)
        rules.append(_rule(str(name), entry))
        entry.reject_unknown_keys()
    return DirectionPolicy(tuple(rules), judged=any(isinstance(r.detector, AsyncDetector) for r in rules))


def _policy(data: ConfigMapping, default: WorkloadPolicy) -> WorkloadPolicy:
    path = data.key_path
    return WorkloadPolicy(
        input=_direction(data["input"], f"{path}.input", data) if "input" in data else default.input,
        output=_direction(data["output"], f"{path}.output", data) if "output" in data else default.output,
    )


def _bounded_int(data: ConfigMapping, key: str, default: int, bounds: tuple[int, int]) -> int:
    value = data.get(key, default)
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise data.error(
            f"guardrails.{key}", f"expected a whole number from {low} to {high}, got {value!r}", f"write e.g. {default}"
        )
    return value


def parse_guardrails(raw: object, source: str = "rungway.yaml") -> GuardrailsConfig:
    """Validate `guardrails:` and build every configured detector; errors name file, line, key path and fix."""
    root = ConfigMapping({}, "", source)
    data = _mapping(raw, "guardrails", source, "{default: {input: {secrets: {action: block}}}}", root)
    lookbehind = _bounded_int(data, "lookbehind_chars", 256, LOOKBEHIND_RANGE)
    max_scan = _bounded_int(data, "max_scan_chars", 100_000, MAX_SCAN_RANGE)
    default_data = _mapping(data.get("default"), "guardrails.default", source, _POLICY_EXAMPLE, data)
    default = _policy(default_data, WorkloadPolicy())
    workloads = _mapping(
        data.get("workloads"), "guardrails.workloads", source, f"{{support-bot: {_POLICY_EXAMPLE}}}", data
    )
    per_workload: dict[str, WorkloadPolicy] = {}
    for name, value in workloads.items():
        entry = _mapping(value, f"guardrails.workloads.{name}", source, _POLICY_EXAMPLE, workloads)
        per_workload[str(name)] = _policy(entry, default)
    data.reject_unknown_keys()
    return GuardrailsConfig(
        default=default, workloads=per_workload, lookbehind_chars=lookbehind, max_scan_chars=max_scan
    )


GUARDRAILS_SECTION = ConfigSection("guardrails", parse_guardrails)
"""`guardrails:` in rungway.yaml."""
