"""Typed reads of one value of a capability's configuration section, each error naming the key path and the fix.

Capabilities' `config.py` modules read their sections with these rather than each keeping its own copy
(older sections still do: they move here as they are next touched).
"""

from __future__ import annotations

from typing import Any

from rungway.settings.sections import ConfigMapping, tracked

__all__ = ["choice_at", "flag_at", "mapping_at", "number_at", "whole_at"]


def mapping_at(raw: Any, key_path: str, source: str, lines: Any, example: str) -> ConfigMapping:
    """`raw` as a mapping (None: an empty one); anything else is an error showing `example`."""
    if raw is None:
        return ConfigMapping({}, key_path, source, lines)
    data = tracked(raw, key_path, source)
    if not isinstance(data, ConfigMapping):
        problem = f"expected a mapping, got {type(raw).__name__}"
        raise ConfigMapping({}, key_path, source, lines).error(key_path, problem, f"write e.g. `{example}`")
    return data


def number_at(data: ConfigMapping, key: str, default: float, low: float, high: float, path: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise data.error(
            f"{path}.{key}", f"expected a number from {low:g} to {high:g}, got {value!r}", f"write e.g. {default:g}"
        )
    return float(value)


def whole_at(data: ConfigMapping, key: str, default: int, low: int, high: int, path: str) -> int:
    value = number_at(data, key, default, low, high, path)
    if not value.is_integer():
        raise data.error(f"{path}.{key}", f"expected a whole number, got {value!r}", f"write e.g. {default}")
    return int(value)


def flag_at(data: ConfigMapping, key: str, default: bool, path: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise data.error(
            f"{path}.{key}", f"expected true or false, got {value!r}", f"write e.g. {str(default).lower()}"
        )
    return value


def choice_at(data: ConfigMapping, key: str, default: str, choices: tuple[str, ...], path: str) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise data.error(
            f"{path}.{key}", f"expected one of {', '.join(choices)}, got {value!r}", f"write e.g. {default}"
        )
    return str(value)
