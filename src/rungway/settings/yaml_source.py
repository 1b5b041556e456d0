"""Read a YAML file into plain values while remembering the line of every key path.

Errors about configuration must name the file and the line; PyYAML's composed node tree has
the marks, so we walk it once and keep a `path -> line` map beside the values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from rungway.errors import ConfigError
from rungway.settings.sections import ConfigMapping, config_error, tracked

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, slots=True)
class YamlSource:
    """Values of one YAML file plus the line number of each key path (`models.gpt-4o.price`).

    Every mapping in `data` is a `ConfigMapping`, so each section's parser can reject the keys it
    never asked for.
    """

    path: str
    data: dict[str, Any]  # a ConfigMapping; a plain dict given by a caller is wrapped into one
    lines: dict[str, int]

    def __post_init__(self) -> None:
        if not isinstance(self.data, ConfigMapping):
            object.__setattr__(self, "data", tracked(self.data, "", self.path))

    @classmethod
    def empty(cls, path: str) -> YamlSource:
        """A file with no sections: every setting at its default."""
        lines: dict[str, int] = {}
        return cls(path, ConfigMapping({}, "", path, lines), lines)

    def line_of(self, key_path: str) -> int | None:
        while key_path:
            if key_path in self.lines:
                return self.lines[key_path]
            key_path = key_path.rpartition(".")[0]
        return None

    def error(self, key_path: str, problem: str, fix: str) -> ConfigError:
        return config_error(self.path, self.lines, key_path, problem, fix)


def interpolate(text: str, env: Mapping[str, str], path: str, line: int) -> str:
    """Replace `${VAR}` and `${VAR:-default}`; an unset variable without default is an error."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env and env[name] != "":
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{path}:{line}: environment variable {name} is not set. "
            f"Fix: export {name}=... or write ${{{name}:-default}}"
        )

    return _VAR.sub(replace, text)


def load_yaml(path: str, text: str, env: Mapping[str, str]) -> YamlSource:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{line}: not valid YAML: {problem}. Fix: check indentation and quoting") from None
    if root is None:
        return YamlSource.empty(path)
    lines: dict[str, int] = {}
    data = _to_python(root, "", lines, env, path)
    if not isinstance(data, ConfigMapping):
        raise ConfigError(f"{path}:1: the top level must be a mapping of sections. Fix: start with `models:`")
    return YamlSource(path, data, lines)


def _to_python(node: yaml.Node, key_path: str, lines: dict[str, int], env: Mapping[str, str], path: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{key_path}.{key}" if key_path else key
            lines[child] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, child, lines, env, path)
        return ConfigMapping(out, key_path, path, lines)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = f"{key_path}[{index}]"
            lines[child] = item.start_mark.line + 1
            items.append(_to_python(item, child, lines, env, path))
        return items
    assert isinstance(node, yaml.ScalarNode)
    line = node.start_mark.line + 1
    value = node.value
    if isinstance(value, str) and "${" in value:
        value = interpolate(value, env, path, line)
        node = yaml.ScalarNode(node.tag if node.style else _resolve_tag(value), value, style=node.style)
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _resolve_tag(value: str) -> str:
    resolver = yaml.resolver.Resolver()
    return str(resolver.resolve(yaml.ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]
