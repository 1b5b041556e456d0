"""The catalogue's say on each call: refuse a blocked model, mark a deprecated one with standard headers.

A blocked model is refused with 403 `permission_error`/`model_blocked` naming the successor. 403,
not 410: blocking is this organisation's policy (an admin may unblock it and the same request
then succeeds), while 410 Gone says the resource is gone for good, which is the provider's
retirement, not ours; OpenAI's SDKs raise `PermissionDeniedError` for 403, which callers handle.

A deprecated model is served with
    Deprecation: @1760054400                          (RFC 9745: a Structured Field Date, Unix seconds)
    Sunset: Thu, 19 Feb 2026 00:00:00 GMT             (RFC 8594: an HTTP-date, IMF-fixdate)
    Link: </v1/models/claude-sonnet-4-5-20250929>; rel="successor-version"   (RFC 5829's relation)
An approved or preview model with an announced sunset gets `Sunset` (and the successor `Link`)
alone. Dates are the start of the day, UTC. A shipped entry deprecated without an announcement
date in the catalogue carries the catalogue's `as_of` date (deprecated no later than that day).
A name the catalogue does not know gets no header. A floating alias answers for the snapshot it
points at unless it has a status of its own.

Decisions are cached per model name and recomputed when the view changes, so a call costs one
dict lookup (docs/benchmarks.md); names outside the catalogue and the routes are not cached.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from email.utils import formatdate

from rungway.errors import PermissionDenied
from rungway.models.catalogue.entry import CatalogueEntry, ModelStatus
from rungway.models.catalogue.view import CatalogueView
from rungway.settings.config import ModelRoute

__all__ = ["CatalogueLifecycle", "deprecation_value", "lifecycle_headers", "sunset_value"]

MAX_CACHED = 10_000
_NO_HEADERS: Mapping[str, str] = {}


def _epoch(day: date) -> int:
    return calendar.timegm(day.timetuple())


def deprecation_value(day: date) -> str:
    """RFC 9745 `Deprecation`: `@` and the Unix time of the day's start (UTC)."""
    return f"@{_epoch(day)}"


def sunset_value(day: date) -> str:
    """RFC 8594 `Sunset`: the HTTP-date (IMF-fixdate) of the day's start (UTC)."""
    return formatdate(_epoch(day), usegmt=True)


def lifecycle_headers(entry: CatalogueEntry, as_of: date) -> dict[str, str]:
    """The headers a call to this (not blocked) entry is answered with."""
    headers: dict[str, str] = {}
    if entry.status is ModelStatus.DEPRECATED:
        headers["Deprecation"] = deprecation_value(entry.deprecated_on or as_of)
    if entry.sunset_on is not None:
        headers["Sunset"] = sunset_value(entry.sunset_on)
    if headers and entry.successor:
        headers["Link"] = f'</v1/models/{entry.successor}>; rel="successor-version"'
    return headers


@dataclass(frozen=True, slots=True)
class _Decision:
    headers: Mapping[str, str]
    blocked: CatalogueEntry | None = None


class CatalogueLifecycle:
    """`LifecycleGate` over a `CatalogueView`: looks the public name up, else its route's upstream id."""

    def __init__(self, view: CatalogueView, routes: Mapping[str, ModelRoute] | None = None) -> None:
        self.view = view
        self.routes = routes or {}
        self._cache: dict[str, _Decision] = {}
        self._version = -1

    def entry_for(self, model: str) -> CatalogueEntry | None:
        """The catalogue entry a public model name stands for (itself, or its route's upstream model)."""
        found = self.view.lookup(model)
        if found is None and model in self.routes:
            found = self.view.lookup(self.routes[model].upstream_model)
        if found is not None and found.floating and found.alias_of and found.status is ModelStatus.APPROVED:
            target = self.view.entry(found.alias_of)
            if target is not None:
                return target
        return found

    def _decide(self, model: str) -> _Decision | None:
        entry = self.entry_for(model)
        if entry is None:
            return None
        if entry.status is ModelStatus.BLOCKED:
            return _Decision(_NO_HEADERS, entry)
        return _Decision(lifecycle_headers(entry, self.view.as_of) or _NO_HEADERS)

    def admit(self, model: str, now: float) -> Mapping[str, str]:
        if self.view.version != self._version:
            self._cache, self._version = {}, self.view.version
        decision = self._cache.get(model)
        if decision is None:
            decision = self._decide(model)
            if decision is None:
                return _NO_HEADERS
            if len(self._cache) < MAX_CACHED:
                self._cache[model] = decision
        if decision.blocked is not None:
            raise _refusal(model, decision.blocked)
        return decision.headers


def _refusal(model: str, entry: CatalogueEntry) -> PermissionDenied:
    instead = f" Use `{entry.successor}` instead." if entry.successor else " Ask an admin which model to use instead."
    return PermissionDenied(
        f"The model `{model}` is blocked by this organisation's model catalogue.{instead}", code="model_blocked"
    )
