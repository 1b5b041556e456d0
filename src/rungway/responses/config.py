"""The `responses:` section of rungway.yaml: how much conversation state the Responses API keeps.

responses:
  retention_days: 30          # stored responses older than this are purged (1 .. 3650)
  memory_entries: 10000       # responses kept in this replica's memory for the hot path
  max_items: 1000             # input + output items one stored response may hold
  max_bytes: 1000000          # bytes one stored response may take
  max_chain: 100              # responses one previous_response_id chain may link
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["RESPONSES_SECTION", "ResponsesConfig", "parse_responses"]


@dataclass(frozen=True, slots=True)
class ResponsesConfig:
    """The bounds and retention of stored responses."""

    retention_days: int = 30
    memory_entries: int = 10_000
    max_items: int = 1_000
    max_bytes: int = 1_000_000
    max_chain: int = 100

    @property
    def retention_s(self) -> float:
        return self.retention_days * 86400.0


_BOUNDS = {
    "retention_days": (1, 3650, 30),
    "memory_entries": (0, 1_000_000, 10_000),
    "max_items": (1, 100_000, 1_000),
    "max_bytes": (1_000, 100_000_000, 1_000_000),
    "max_chain": (1, 10_000, 100),
}


def parse_responses(raw: object, source: str = "rungway.yaml") -> ResponsesConfig:
    """Validate `responses:`; every error names the file, line, key path and the fix."""
    empty = ConfigMapping({}, "responses", source, {})
    if raw is None:
        return ResponsesConfig()
    data = tracked(raw, "responses", source)
    if not isinstance(data, ConfigMapping):
        raise empty.error(
            "responses", f"expected a mapping, got {type(raw).__name__}", "write e.g. {retention_days: 30}"
        )
    values: dict[str, int] = {}
    for key, (low, high, default) in _BOUNDS.items():
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise data.error(
                f"responses.{key}",
                f"expected a whole number from {low} to {high}, got {value!r}",
                f"write e.g. {default}",
            )
        values[key] = value
    data.reject_unknown_keys()
    return ResponsesConfig(**values)


RESPONSES_SECTION = ConfigSection("responses", parse_responses)
"""`responses:` in rungway.yaml."""
