"""YAML for prompt files: read with the line of every key path, write block style and stable.

Prompt files live in a team's repository and are edited by hand, so an error must name the line,
and what `pull` writes must read back to the same content and be written back to the same bytes
(a pull then a push changes nothing; a second pull leaves git clean). PyYAML's composed node tree
has the marks; this module walks it once, keeping `path -> line` beside the plain values.
Anchors and aliases are refused: a prompt file never needs them, and they let a small file expand
into a huge one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["YamlDoc", "YamlTextError", "dump_yaml", "load_yaml_text"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: ~10x faster, same marks


class YamlTextError(ValueError):
    """The text is not YAML a prompt file may hold; `line` is 1-based when known."""

    def __init__(self, problem: str, line: int | None, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.fix = fix


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """Plain values of one YAML document and the 1-based line of each key path (`messages[1].content`)."""

    data: Any
    lines: dict[str, int]
    block_starts: dict[str, int]  # path -> first line of a `|`/`>` block scalar's text

    def line_of(self, key_path: str) -> int | None:
        """The line of `key_path`, else of its nearest parent that has one."""
        while key_path:
            if key_path in self.lines:
                return self.lines[key_path]
            cut = max(key_path.rfind("."), key_path.rfind("["))
            key_path = key_path[:cut] if cut > 0 else ""
        return None


def load_yaml_text(text: str, *, first_line: int = 1) -> YamlDoc:
    """Parse one YAML document; `first_line` is the file line the text starts on (front matter)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlTextError(f"not valid YAML: {problem}", line, "check the indentation and quoting") from None
    except RecursionError:
        raise YamlTextError("nested too deeply", first_line, "flatten the file") from None
    lines: dict[str, int] = {}
    blocks: dict[str, int] = {}
    if root is None:
        return YamlDoc(None, lines, blocks)
    walker = _Walker(first_line, lines, blocks)
    try:
        return YamlDoc(walker.value(root, ""), lines, blocks)
    except RecursionError:
        raise YamlTextError("nested too deeply", first_line, "flatten the file") from None


class _Walker:
    def __init__(self, first_line: int, lines: dict[str, int], blocks: dict[str, int]) -> None:
        self.first_line = first_line
        self.lines = lines
        self.blocks = blocks
        self.seen: set[int] = set()
        self.constructor = yaml.SafeLoader("")

    def line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + self.first_line

    def value(self, node: yaml.Node, path: str) -> Any:
        if id(node) in self.seen:
            raise YamlTextError(
                "anchors and aliases (&name, *name) are not supported in prompt files",
                self.line(node),
                "write the value out in full",
            )
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlTextError("a key must be a plain name", self.line(key_node), "write `key: value`")
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                if key in out:
                    raise YamlTextError(f"the key {child!r} appears twice", self.line(key_node), "keep one")
                self.lines[child] = self.line(key_node)
                out[key] = self.value(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                self.lines[child] = self.line(item)
                items.append(self.value(item, child))
            return items
        assert isinstance(node, yaml.ScalarNode)
        self.lines.setdefault(path, self.line(node))
        if node.style in ("|", ">"):
            self.blocks[path] = self.line(node) + 1
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:  # an unknown tag (`!!python/object`) or a malformed timestamp
            problem = getattr(exc, "problem", None) or "a value YAML cannot read"
            raise YamlTextError(problem, self.line(node), "write plain text, numbers, lists and mappings") from None


class _BlockDumper(yaml.SafeDumper):
    """Block style; text with a line break as a `|` literal block, so prompts read as they render."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key: easier to read


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value.strip() else None  # blank text reads better quoted
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def dump_yaml(data: Any) -> str:
    """`data` as block-style YAML in the order given; the same data always gives the same text."""
    return yaml.dump(
        data,
        Dumper=_BlockDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
