"""The `forecasts:` section of rungway.yaml: how often the server rolls up spend and checks budgets, how much
history a forecast reads and how wide its interval is.

    forecasts:
      refresh_s: 300        # roll up closed hours and re-check every budget's exhaustion this often (0.1 .. 86400)
      history_days: 90      # complete days of history a forecast reads (28 .. 366)
      level: 0.8            # the prediction interval's coverage (0.5 .. 0.99)
      alerts: true          # alert (through `alerts:`) when a budget's forecast runs out inside its period
"""

from __future__ import annotations

from dataclasses import dataclass

from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["FORECASTS_SECTION", "ForecastSettings", "parse_forecasts"]


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """The forecasts' settings, defaults when the section is absent."""

    refresh_s: float = 300.0
    history_days: int = 90
    level: float = 0.8
    alerts: bool = True


def _number(data: ConfigMapping, key: str, default: float, low: float, high: float, example: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise data.error(f"forecasts.{key}", f"expected a number from {low:g} to {high:g}, got {value!r}",
                         f"write e.g. {example}")  # fmt: skip
    return float(value)


def parse_forecasts(raw: object, source: str = "rungway.yaml") -> ForecastSettings:
    """Validate `forecasts:`; every error names the file, line, key path and the fix."""
    if raw is None:
        return ForecastSettings()
    data = tracked(raw, "forecasts", source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, "forecasts", source, {}).error("forecasts", problem, "write e.g. `{level: 0.8}`")
    refresh = _number(data, "refresh_s", 300.0, 0.1, 86_400, "300")
    history = data.get("history_days", 90)
    if isinstance(history, bool) or not isinstance(history, int) or not 28 <= history <= 366:
        raise data.error("forecasts.history_days", f"expected whole days from 28 to 366, got {history!r}",
                         "write e.g. 90")  # fmt: skip
    level = _number(data, "level", 0.8, 0.5, 0.99, "0.8")
    alerts = data.get("alerts", True)
    if not isinstance(alerts, bool):
        raise data.error("forecasts.alerts", f"expected true or false, got {alerts!r}", "write e.g. true")
    data.reject_unknown_keys()
    return ForecastSettings(refresh, history, level, alerts)


FORECASTS_SECTION = ConfigSection("forecasts", parse_forecasts)
"""`forecasts:` in rungway.yaml."""
