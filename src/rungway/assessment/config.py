"""The `assessment:` section of rungway.yaml, parsed into typed settings with errors naming key path and fix.

assessment:
  interval: 7d            # scheduled re-assessment on the server (`off` to disable)
  refresh: 1h             # how often the hourly request roll-up catches up
  window: 30d             # override every check's default window
  thresholds:             # organisation standards, as fractions of calls
    user_cost_attribution: 0.99
  target_stages: {internal: 2, customer-facing: 3, regulated: 4}
  max_attestation: 90d    # the longest an attestation may hold (at most 1y); the default expiry too
  webhook:                # drift alerts: JSON POST, retried
    url: https://hooks.example.com/rungway
    retries: 3
    timeout: 5s
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from rungway.assessment.model_file import load_model
from rungway.domain.timespec import DAY, HOUR, WEEK, TimeSpecError, parse_period
from rungway.errors import ConfigError
from rungway.settings.config import Config
from rungway.settings.sections import ConfigMapping, ConfigSection, config_error, tracked

DEFAULT_ATTESTATION_S = 90 * DAY
"""An attestation holds 90 days unless it says otherwise: the seed's quarterly re-assessment."""
MAX_ATTESTATION_S = 365 * DAY
"""`assessment.max_attestation` may allow at most a year."""
_TIERS = ("internal", "customer-facing", "regulated")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Where drift alerts go: a JSON POST, retried with backoff."""

    url: str
    retries: int = 3
    timeout_s: float = 5.0
    backoff_s: float = 1.0


@dataclass(frozen=True, slots=True)
class AssessmentSettings:
    interval_s: float | None = WEEK
    refresh_s: float = HOUR
    window_days: int | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    target_stages: Mapping[str, int] = field(default_factory=dict)
    webhook: WebhookSettings | None = None
    max_attestation_s: float = DEFAULT_ATTESTATION_S


def parse_duration(value: object) -> float | None:
    """`7d`, `12h`, `30min`, `45s`, `2w`, `3mo`, `1y` or a number of seconds; None when it is not one of those.

    A bare `m` is refused (`parse_period`): an attestation of `1m` must not be a minute meant as a month.
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        try:
            return parse_period(value)
        except TimeSpecError:
            return None
    return None


def duration_problem(value: object) -> str:
    """Why `value` is not a duration, in words (the ambiguous `1m` says so)."""
    if isinstance(value, str):
        try:
            parse_period(value)
        except TimeSpecError as exc:
            return str(exc)
    return f"expected a duration (30min, 12h, 7d, 3mo), got {value!r}"


class _Parser:
    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source = source
        self.lines = lines

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        return config_error(self.source, self.lines, f"assessment.{key}", problem, fix)

    def duration(
        self, raw: Mapping[str, Any], key: str, default: float, example: str, allow_off: bool = False
    ) -> float | None:
        value = raw.get(key.rpartition(".")[2])
        if value is None:
            return default
        if allow_off and (value is False or value == "off"):
            return None
        seconds = parse_duration(value)  # a bare `m` is refused as ambiguous (parse_period)
        if seconds is None:
            hint = " or `off`" if allow_off else ""
            raise self.error(key, duration_problem(value), f"write e.g. {example}{hint}")
        return seconds

    def mapping(self, raw: Mapping[str, Any], key: str, example: str) -> Mapping[str, Any]:
        value = raw.get(key.rpartition(".")[2])
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(key, f"expected a mapping, got {value!r}", f"write e.g. `{example}`")
        return value


def parse_assessment(raw: object, source: str, check_ids: Collection[str]) -> AssessmentSettings:
    """Validate the `assessment:` section (None when absent); `check_ids` are the checks thresholds may name."""
    if raw is None:
        return AssessmentSettings()
    raw = tracked(raw, "assessment", source)
    if not isinstance(raw, ConfigMapping):
        raise ConfigError(f"{source}: assessment: expected a mapping. Fix: indent `interval:` etc. under it")
    p = _Parser(source, raw.lines)
    window = p.duration(raw, "window", 0.0, "30d")
    if window and window % DAY:
        raise p.error("window", f"{raw['window']!r} is not a whole number of days", "write e.g. 30d")
    settings = AssessmentSettings(
        interval_s=p.duration(raw, "interval", WEEK, "7d", allow_off=True),
        refresh_s=p.duration(raw, "refresh", HOUR, "1h") or HOUR,
        window_days=int(window // DAY) if window else None,
        thresholds=_thresholds(p, p.mapping(raw, "thresholds", "{user_cost_attribution: 0.99}"), check_ids),
        target_stages=_targets(p, p.mapping(raw, "target_stages", "{internal: 2}")),
        webhook=_webhook(p, raw.get("webhook")),
        max_attestation_s=_max_attestation(p, raw),
    )
    raw.reject_unknown_keys()
    return settings


def _max_attestation(p: _Parser, raw: Mapping[str, Any]) -> float:
    seconds = p.duration(raw, "max_attestation", DEFAULT_ATTESTATION_S, "90d") or DEFAULT_ATTESTATION_S
    if seconds > MAX_ATTESTATION_S:
        raise p.error(
            "max_attestation",
            f"{raw.get('max_attestation')!r} is longer than a year",
            "write e.g. 90d (at most 1y: the seed re-assesses quarterly; renew an attestation at least yearly)",
        )
    return seconds


def _thresholds(p: _Parser, raw: Mapping[str, Any], check_ids: Collection[str]) -> dict[str, float]:
    out = {}
    for check_id, value in raw.items():
        key = f"thresholds.{check_id}"
        if check_id not in check_ids:
            raise p.error(key, "unknown check", f"use one of {', '.join(sorted(check_ids))}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise p.error(key, f"expected a fraction in (0, 1], got {value!r}", "write e.g. 0.95 (95% of calls)")
        out[str(check_id)] = float(value)
    return out


def _targets(p: _Parser, raw: Mapping[str, Any]) -> dict[str, int]:
    out = {}
    for tier, value in raw.items():
        key = f"target_stages.{tier}"
        if tier not in _TIERS:
            raise p.error(key, "unknown risk tier", f"use one of {', '.join(_TIERS)}")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise p.error(key, f"expected a stage from 1 to 5, got {value!r}", "write e.g. 3")
        out[str(tier)] = value
    return out


def _webhook(p: _Parser, raw: object) -> WebhookSettings | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"url": raw}
    if not isinstance(raw, Mapping):
        raise p.error("webhook", "expected a URL or a mapping", "write e.g. https://hooks.example.com/rungway")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise p.error("webhook.url", f"expected an http(s) URL, got {url!r}", "write e.g. https://hooks.example.com/x")
    retries = raw.get("retries", 3)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise p.error("webhook.retries", f"expected 0 to 10, got {retries!r}", "write e.g. 3")
    timeout = p.duration(raw, "webhook.timeout", 5.0, "5s") or 5.0
    backoff = p.duration(raw, "webhook.backoff", 1.0, "1s") or 1.0
    return WebhookSettings(url, retries, timeout, backoff)


def _parse_assessment_section(raw: object, source: str) -> AssessmentSettings:
    """Validate `assessment:` (errors name the file, key path and fix); thresholds may name any check."""
    check_ids = {i.check.id for i in load_model().items if i.check is not None}
    return parse_assessment(raw, source, check_ids)


ASSESSMENT_SECTION = ConfigSection("assessment", _parse_assessment_section)
"""`assessment:` in rungway.yaml."""


def assessment_settings(config: Config) -> AssessmentSettings:
    """The parsed `assessment:` section of this configuration."""
    return config.section(ASSESSMENT_SECTION)
