"""The `redteam:` section of rungway.yaml: scheduled red-team runs per workload, run by the server.

    redteam:
      tick_s: 60                      # how often the server looks for a due schedule
      concurrency: 4                  # attacks in flight per scheduled run
      server_url: http://127.0.0.1:4000   # where scheduled runs reach this server's gateway (default: server.host:port)
      workloads:
        support-bot:
          every: 7d                   # a run at most this often (30m .. 52w)
          categories: [system-prompt-extraction, prompt-injection]   # default: every category
          prompt: support-answer@production                          # the workload's registry prompt, by reference
          model: gpt-4o-mini          # when the prompt sets none

Schedules made through `/api/redteam/schedules` (or `rungway redteam schedule`) join these; a workload
named here keeps the configured schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rungway.domain.timespec import TimeSpecError, parse_duration
from rungway.redteam.corpus import load_corpus
from rungway.settings.sections import ConfigMapping, ConfigSection, tracked

__all__ = ["MAX_EVERY_S", "MIN_EVERY_S", "REDTEAM_SECTION", "RedTeamConfig", "Schedule", "parse_redteam"]

MIN_EVERY_S = 1800.0
MAX_EVERY_S = 52 * 7 * 86400.0


@dataclass(frozen=True, slots=True)
class Schedule:
    """One workload's cadence and what its runs attack with."""

    workload: str
    every_s: float
    categories: tuple[str, ...] = ()
    prompt: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class RedTeamConfig:
    """The scheduler's settings and the configured schedules."""

    tick_s: float = 60.0
    concurrency: int = 4
    server_url: str | None = None
    schedules: dict[str, Schedule] = field(default_factory=dict)


def _mapping(raw: Any, key_path: str, source: str, lines: Any, example: str) -> ConfigMapping:
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, key_path, source, lines).error(key_path, problem, f"write e.g. `{example}`")
    return data


def _every(entry: ConfigMapping, path: str) -> float:
    raw = entry.get("every")
    try:
        seconds = parse_duration(str(raw)) if isinstance(raw, str) else None
    except TimeSpecError:
        seconds = None
    if seconds is None or not MIN_EVERY_S <= seconds <= MAX_EVERY_S:
        raise entry.error(f"{path}.every", f"expected a duration from 30m to 52w, got {raw!r}", "write e.g. 7d")
    return seconds


def _schedule(name: str, entry: ConfigMapping, path: str) -> Schedule:
    categories = entry.get("categories") or []
    known = load_corpus().categories
    if not isinstance(categories, list) or any(c not in known for c in categories):
        raise entry.error(f"{path}.categories", f"expected a list of categories, got {categories!r}",
                          f"write e.g. [{known[0]}] (any of {', '.join(known)})")  # fmt: skip
    prompt, model = entry.get("prompt"), entry.get("model")
    for key, value in (("prompt", prompt), ("model", model)):
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 200):
            raise entry.error(f"{path}.{key}", f"expected text, got {value!r}", "write e.g. support@production")
    if prompt is None and model is None:
        raise entry.error(path, "a schedule needs a prompt or a model to attack", "add `prompt: NAME@LABEL`")
    return Schedule(name, _every(entry, path), tuple(categories), prompt, model)


def parse_redteam(raw: object, source: str = "rungway.yaml") -> RedTeamConfig:
    """Validate `redteam:`; every error names the file, line, key path and the fix."""
    data = _mapping(raw, "redteam", source, {}, "{workloads: {support: {every: 7d, model: gpt-4o-mini}}}")
    tick = data.get("tick_s", 60.0)
    if isinstance(tick, bool) or not isinstance(tick, int | float) or not 0.05 <= tick <= 3600:
        raise data.error("redteam.tick_s", f"expected seconds from 0.05 to 3600, got {tick!r}", "write e.g. 60")
    concurrency = data.get("concurrency", 4)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 64:
        raise data.error("redteam.concurrency", f"expected 1 to 64, got {concurrency!r}", "write e.g. 4")
    url = data.get("server_url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise data.error(
            "redteam.server_url", f"expected an http(s) URL, got {url!r}", "write e.g. http://127.0.0.1:4000"
        )
    workloads = _mapping(
        data.get("workloads"), "redteam.workloads", source, data.lines, "{support: {every: 7d, model: gpt-4o-mini}}"
    )
    schedules = {}
    for name, value in workloads.items():
        path = f"redteam.workloads.{name}"
        entry = _mapping(value, path, source, workloads.lines, "{every: 7d, model: gpt-4o-mini}")
        schedules[str(name)] = _schedule(str(name), entry, path)
        entry.reject_unknown_keys()
    data.reject_unknown_keys()
    return RedTeamConfig(float(tick), concurrency, url, schedules)


REDTEAM_SECTION = ConfigSection("redteam", parse_redteam)
"""`redteam:` in rungway.yaml."""
