"""The detector registry: name -> factory, filled by `@register_detector("name")`.

Built-in detectors and third-party ones register through the same door: a module listed under the
`rungway.detectors` entry-point group (`name = "package.module"`) is imported the first time its name is
asked for, and registers its factory with `@register_detector("name")`. Importing the registry imports no
detector module; `detector_names()` reads names only.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from rungway.guardrails.detectors.base import Detector, DetectorFactory, DetectorOptionError, Finding, UnknownDetector

__all__ = ["ENTRY_POINT_GROUP", "detector", "detector_names", "register_detector", "scan_all"]

ENTRY_POINT_GROUP = "rungway.detectors"

_FACTORIES: dict[str, DetectorFactory] = {}
_DEFAULTS: dict[str, Detector] = {}
_LOCK = threading.Lock()
# The built-ins are declared in pyproject.toml's entry points like a plugin's; this table is the fallback
# for a source checkout whose metadata is stale.
_BUILTIN_MODULES = {
    "pii": "rungway.guardrails.detectors.pii",
    "secrets": "rungway.guardrails.detectors.secrets",
    "injection": "rungway.guardrails.detectors.injection",
    "terms": "rungway.guardrails.detectors.terms",
    "output": "rungway.guardrails.detectors.output",
    "judge": "rungway.guardrails.detectors.judge",
}
_NEEDS_OPTIONS = frozenset({"judge"})  # no default instance (a judge needs a model): `scan_all` skips them


def register_detector(name: str) -> Callable[[DetectorFactory], DetectorFactory]:
    """Register a factory that builds a detector from keyword options; a later registration replaces it."""

    def decorate(factory: DetectorFactory) -> DetectorFactory:
        with _LOCK:
            _FACTORIES[name] = factory
            _DEFAULTS.pop(name, None)
        return factory

    return decorate


@functools.cache
def _plugin_modules() -> dict[str, str]:
    """Read once per process: scanning the installed distributions costs milliseconds."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _load(name: str) -> DetectorFactory | None:
    if name in _FACTORIES:
        return _FACTORIES[name]
    module = _plugin_modules().get(name) or _BUILTIN_MODULES.get(name)
    if module is not None:
        importlib.import_module(module.split(":")[0])
    return _FACTORIES.get(name)


def detector_names() -> list[str]:
    """Every detector name that can be built (registered, declared by an entry point, or built in)."""
    return sorted(set(_FACTORIES) | set(_BUILTIN_MODULES) | set(_plugin_modules()))


def _check_options(name: str, factory: DetectorFactory, options: dict[str, Any]) -> None:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable: let the call itself refuse
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    known = [p.name for p in parameters.values() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    for option in options:
        if option not in known:
            close = difflib.get_close_matches(option, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"it takes {', '.join(known) or 'no options'}"
            raise DetectorOptionError(f"detector {name!r}: unknown option {option!r}. Fix: {hint}")


def detector(name: str, **options: Any) -> Detector:
    """A configured detector by its registry name; UnknownDetector or DetectorOptionError when it cannot be."""
    factory = _load(name)
    if factory is None:
        close = difflib.get_close_matches(name, detector_names(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "install the plugin that provides it"
        raise UnknownDetector(f"unknown detector {name!r}. Fix: {hint} (known: {', '.join(detector_names())})")
    _check_options(name, factory, options)
    return factory(**options)


def _default(name: str) -> Detector:
    found = _DEFAULTS.get(name)
    if found is None:
        found = detector(name)
        with _LOCK:
            _DEFAULTS[name] = found
    return found


def scan_all(text: str, names: Sequence[str] | None = None) -> list[Finding]:
    """Run the named detectors (default: every one) with their default options; findings in text order."""
    findings: list[Finding] = []
    for name in [n for n in detector_names() if n not in _NEEDS_OPTIONS] if names is None else names:
        findings.extend(_default(name).scan(text))
    findings.sort(key=lambda f: (f.start, -f.end, f.rule))
    return findings
