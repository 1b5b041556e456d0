"""The `alerts:` section of rungway.yaml: where alerts go and how hard delivery tries.

alerts:
  webhook_url: https://hooks.example.com/rungway   # the default receiver (a sender may name another)
  attempts: 5                                        # POSTs per alert before it counts as failed
  backoff_ms: 500                                    # the first retry's wait; doubled after each
  timeout_ms: 5000                                   # each POST's deadline
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.errors import ConfigError
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["ALERTS_SECTION", "AlertSettings"]


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """The `alerts:` section of rungway.yaml."""

    webhook_url: str | None = None
    attempts: int = 5
    backoff_s: float = 0.5
    timeout_s: float = 5.0

    @classmethod
    def parse(cls, section: object, source: str) -> AlertSettings:
        raw = tracked({} if section is None else section, "alerts", source)
        if not isinstance(raw, ConfigMapping):
            raise ConfigError(f"{source}: alerts: expected a mapping. Fix: indent `webhook_url:` under it")
        url = raw.get("webhook_url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise raw.error(
                "alerts.webhook_url", f"{url!r} is not a URL", "write e.g. https://hooks.example.com/rungway"
            )
        numbers = {}
        for key, default in (("attempts", 5), ("backoff_ms", 500), ("timeout_ms", 5000)):
            value = raw.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problem = f"expected a whole number >= 1, got {value!r}"
                raise raw.error(f"alerts.{key}", problem, f"write e.g. {default}")
            numbers[key] = value
        raw.reject_unknown_keys()
        return cls(url, numbers["attempts"], numbers["backoff_ms"] / 1000, numbers["timeout_ms"] / 1000)


ALERTS_SECTION = ConfigSection("alerts", AlertSettings.parse)
"""`alerts:` in rungway.yaml."""
