"""Unknown configuration keys, found by the parsers themselves.

A typo such as `admin_kye:` must not pass silently. Rather than keep a list of allowed keys beside
each parser (a list that drifts from what the parser reads), every mapping read from rungway.yaml
is a `ConfigMapping`: it remembers each key a parser asked for (`get`, `[]`, `in`), present or not.
When a section's parser is done it calls `reject_unknown_keys()`: a key nobody asked for is an
error naming the file, the line, the key path, and the closest key the parser knows ("did you
mean"). Adding a key to a section therefore only needs the parser to read it.

Iterating a mapping (`items()`, `for key in ...`) takes all its keys, as a parser does for a
mapping of names (`providers:`, `workloads:`); the values under them stay checked. A mapping handed
to someone else to validate (a provider's options) is taken with `delegate()`, and that someone
checks it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rungway.errors import ConfigError

__all__ = ["ConfigMapping", "ConfigSection", "config_error", "tracked"]

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class ConfigSection(Generic[T]):
    """A top-level section of rungway.yaml that a capability owns: its name and its parser.

    `parse(raw, source)` gets the section as read (None when absent) and the file's path, and returns
    the typed settings or raises ConfigError naming file, line, key path and fix; `check(config, parsed)`,
    when given, then checks it against the whole parsed `Config`. `Config.section(key)`
    hands the parsed value back, typed, so no capability reads untyped configuration data.
    """

    name: str
    parse: Callable[[object, str], T]
    # Checks against the rest of the file once every section is parsed (a route's target must be a model
    # under `models:`): `check(config, parsed)` raises ConfigError naming file, line, key path and fix.
    check: Callable[[Any, T], None] | None = None


class ConfigMapping(dict[str, Any]):
    """A mapping from a configuration file that remembers which keys its parser asked for."""

    def __init__(
        self, items: Mapping[str, Any], key_path: str, path: str, lines: Mapping[str, int] | None = None
    ) -> None:
        super().__init__(items)
        self.key_path = key_path
        self.path = path
        self.lines: Mapping[str, int] = lines if lines is not None else {}
        self.asked: set[str] = set()
        self.delegated = False

    def __reduce__(self) -> tuple[Any, ...]:  # copies and pickles are plain dicts; copying asks for nothing
        return (dict, (dict(dict.items(self)),))

    def copy(self) -> dict[str, Any]:  # type: ignore[override]
        """A plain copy for a consumer that takes the whole mapping: every key counts as read."""
        self.asked.update(dict.keys(self))
        return dict(dict.items(self))

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self.asked.update(super().keys())
        return super().__iter__()

    def items(self) -> Any:
        self.asked.update(super().keys())
        return super().items()

    def keys(self) -> Any:
        self.asked.update(super().keys())
        return super().keys()

    def values(self) -> Any:
        self.asked.update(super().keys())
        return super().values()

    def delegate(self) -> dict[str, Any]:
        """This mapping as plain data for a consumer that checks its keys itself (a provider's options)."""
        self.delegated = True
        result: dict[str, Any] = _plain(self)
        return result

    def child_path(self, key: str) -> str:
        return f"{self.key_path}.{key}" if self.key_path else key

    def error(self, key_path: str, problem: str, fix: str) -> ConfigError:
        """An error about `key_path`, with the line it is on when known."""
        return config_error(self.path, self.lines, key_path, problem, fix)

    def reject_unknown_keys(self) -> None:
        """Raise for the first key (here or in a mapping below) that no parser asked for."""
        if self.delegated:
            return
        for key in dict.keys(self):
            if key not in self.asked:
                known = sorted(self.asked)
                # a short key's swapped letters (`ot` for `to`) are too far apart for difflib's ratio
                close = (
                    difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                    or [k for k in known if sorted(k) == sorted(key)][:1]
                )
                hint = f"did you mean `{close[0]}`? " if close else ""
                listed = ", ".join(known) if known else "none (remove it)"
                raise self.error(self.child_path(key), "unknown key", f"{hint}known keys here: {listed}")
        for value in dict.values(self):
            for mapping in _mappings_in(value):
                mapping.reject_unknown_keys()

    def asked_paths(self) -> set[str]:
        """Every key path a parser asked for under this mapping (what the parser accepts)."""
        out = {self.child_path(key) for key in self.asked}
        for value in dict.values(self):
            for mapping in _mappings_in(value):
                out |= mapping.asked_paths()
        return out


def _mappings_in(value: Any) -> Iterator[ConfigMapping]:
    if isinstance(value, ConfigMapping):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _mappings_in(item)


def config_error(path: str, lines: Mapping[str, int], key_path: str, problem: str, fix: str) -> ConfigError:
    """`file:line: key.path: problem. Fix: fix`, using the line of the nearest known key path."""
    probe, line = key_path, None
    while probe and line is None:
        line = lines.get(probe)
        probe = probe.rpartition(".")[0]
    where = f"{path}:{line}" if line else path
    return ConfigError(f"{where}: {key_path}: {problem}. Fix: {fix}")


def tracked(raw: Any, key_path: str, source: str) -> ConfigMapping | Any:
    """`raw` as a ConfigMapping (as loaded, or wrapped when a caller built a plain dict); other values as they are."""
    if isinstance(raw, list):
        return [tracked(item, f"{key_path}[{index}]", source) for index, item in enumerate(raw)]
    if isinstance(raw, ConfigMapping) or not isinstance(raw, dict):
        return raw
    return ConfigMapping({k: tracked(v, f"{key_path}.{k}", source) for k, v in raw.items()}, key_path, source)


def _plain(value: Any) -> Any:
    """Configuration data as plain dicts and lists, for a consumer that validates it itself."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in dict.items(value)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
