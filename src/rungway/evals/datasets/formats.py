"""Dataset files: JSONL, JSON, CSV, YAML and promptfoo test files in; JSONL out.

Every reader turns a file into raw case mappings with their place (`cases.csv:12`), then `build_case`
checks each, so an error names the file, the line and the fix whatever the format:
- JSONL: one case per line (`key`, `vars`, `messages`, `expected`, `assert`, `metadata`, `tags`,
  `source_trace_id`, `description`); a first line `{"defaultTest": {"assert": [...]}}` gives the default
  assertions (export writes one when the version has them, so an export imports back to the same version).
- JSON: a list of cases, or `{cases: [...], defaultTest: {...}}`.
- CSV: a header row; each column is a variable, except promptfoo's `__expected` (also `__expected1`...:
  `contains: x`, `regex: ...`, `is-json`, `llm-rubric: ...`, `grader: ...`, any assertion type as `type: value`
  or `type(threshold): value`; plain text is the expected output, checked with `equals`), `__description`,
  `__metadata:NAME`, and Rungway's `__key` and `__tags` (comma-separated).
- YAML: a list of cases, `{cases: [...]}`, or a promptfoo file (`tests:` with `vars`, `assert`, `description`,
  `metadata`, and `defaultTest` with `assert`, `vars` and `metadata`; a promptfoo config's other keys, such as
  `prompts` and `providers`, are not the dataset's and are skipped). YAML aliases are refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import orjson
import yaml

from rungway.errors import InvalidRequest
from rungway.evals.datasets.model import Case, build_case, check_assertions, check_unique_keys
from rungway.evals.scorers import JsonValue, known_types

__all__ = ["FORMATS", "ParsedDataset", "format_of", "parse_dataset", "parse_raw_cases", "write_jsonl"]

FORMATS = ("jsonl", "json", "csv", "yaml", "promptfoo")
MAX_FILE_BYTES = 256 * 1024 * 1024
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
_DEFAULT_KEYS = ("assert", "vars", "metadata")
_NO_VALUE_TYPES = ("is-json", "contains-json", "is-valid-openai-tools-call")
_CSV_ASSERTION = re.compile(r"(?P<type>[a-z][a-z0-9-]*)(?:\((?P<threshold>[0-9]*\.?[0-9]+)\))?(?::\s?(?P<value>.*))?",
                            re.DOTALL)  # fmt: skip
_CODE_TYPES = ("javascript", "fn", "eval", "file")


@dataclass(frozen=True, slots=True)
class ParsedDataset:
    """A file's cases, checked, and its default assertions (promptfoo's `defaultTest.assert`)."""

    cases: tuple[Case, ...]
    default_assertions: tuple[Mapping[str, JsonValue], ...]
    format: str


def _fail(where: str, problem: str, fix: str) -> InvalidRequest:
    return InvalidRequest(f"{where}: {problem}. Fix: {fix}", param="file")


def format_of(path: str, fmt: str | None = None) -> str:
    """The format named, else the one the file's extension says."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise _fail(path, f"unknown format {fmt!r}", f"use one of {', '.join(FORMATS)}")
        return fmt
    found = _EXTENSIONS.get(PurePath(path).suffix.lower())
    if found is None:
        raise _fail(path, "cannot tell the format from the file name", f"name it .jsonl, .json, .csv, .yaml or pass "
                    f"--format ({', '.join(FORMATS)})")  # fmt: skip
    return found


def parse_dataset(path: str, text: str, fmt: str | None = None, *, allow_python: bool = False) -> ParsedDataset:
    """Read a dataset file's text (`path` names it in errors); every case checked, keys unique.

    `allow_python`: the file is the team's own (the CLI reads it), so `python` assertions may import their code."""
    kind = format_of(path, fmt)
    if kind == "jsonl":
        raw, defaults = _jsonl(path, text)
    elif kind == "csv":
        raw, defaults = _csv(path, text), None
    elif kind == "json":
        raw, defaults = _document(path, _json(path, text), {})
    else:
        raw, defaults = _yaml(path, text)
        if kind == "promptfoo" and not isinstance(_plain_yaml(path, text), Mapping):
            raise _fail(path, "a promptfoo file is a mapping with `tests:`", "write tests: [{vars: ..., assert: ...}]")
    return parse_raw_cases(raw, defaults, kind, allow_python=allow_python)


def parse_raw_cases(
    raw: Sequence[tuple[object, str]], defaults: Mapping[str, Any] | None, kind: str, *, allow_python: bool = False
) -> ParsedDataset:
    """Raw (case, where) pairs and a promptfoo `defaultTest` into checked cases."""
    defaults = defaults or {}
    default_vars, default_metadata = defaults.get("vars") or {}, defaults.get("metadata") or {}
    cases: list[Case] = []
    for item, where in raw:
        if isinstance(item, Mapping) and (default_vars or default_metadata):
            item = {**item, "vars": {**default_vars, **(item.get("vars") or {})},
                    "metadata": {**default_metadata, **(item.get("metadata") or {})}}  # fmt: skip
        cases.append(build_case(item, where, allow_python=allow_python))
    check_unique_keys(cases, [where for _, where in raw])
    assertions = check_assertions(defaults.get("assert"), "defaultTest", allow_python=allow_python)
    return ParsedDataset(tuple(cases), assertions, kind)


def _json(where: str, text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _fail(where, f"not valid JSON ({exc})", "check the quoting and commas around that point") from None


def _jsonl(path: str, text: str) -> tuple[list[tuple[object, str]], Mapping[str, Any] | None]:
    raw: list[tuple[object, str]] = []
    defaults: Mapping[str, Any] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        item = _json(where, line)
        if isinstance(item, dict) and set(item) == {"defaultTest"}:
            if raw or defaults is not None:
                raise _fail(where, "defaultTest must be the first line", "move it to the top")
            defaults = _default_test(where, item["defaultTest"])
            continue
        raw.append((item, where))
    return raw, defaults


def _default_test(where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "defaultTest: expected a mapping", "write defaultTest: {assert: [...]}")
    unknown = [k for k in value if k not in _DEFAULT_KEYS]
    if unknown:
        raise _fail(where, f"defaultTest: {unknown[0]!r} is not supported", f"keep only {', '.join(_DEFAULT_KEYS)}")
    return value


def _document(
    path: str, data: object, lines: Mapping[int, int]
) -> tuple[list[tuple[object, str]], Mapping[str, Any] | None]:
    """A parsed JSON/YAML document: a list of cases, `{cases: [...]}` or promptfoo's `{tests: [...]}`."""
    if isinstance(data, list):
        items, defaults = data, None
    elif isinstance(data, Mapping) and ("tests" in data or "cases" in data):
        items = data.get("tests", data.get("cases"))
        if isinstance(items, str):
            raise _fail(path, f"tests: {items[:80]!r} points at another file", "import that file itself")
        if not isinstance(items, list):
            raise _fail(path, "tests: expected a list of tests", "write tests: [{vars: ..., assert: ...}]")
        if "scenarios" in data:
            raise _fail(path, "promptfoo scenarios are not supported", "write each scenario's tests out as tests")
        if "cases" in data:
            unknown = [k for k in data if k not in ("cases", "defaultTest", "description")]
            if unknown:
                raise _fail(path, f"{unknown[0]!r} is not a key of a dataset file", "use cases, defaultTest")
        defaults = _default_test(f"{path} defaultTest", data["defaultTest"]) if data.get("defaultTest") else None
    else:
        raise _fail(path, "expected a list of cases, or a mapping with cases: or tests:",
                    "write cases: [{vars: {...}, expected: ...}]")  # fmt: skip
    places = [f"{path}:{lines[i]}" if i in lines else f"{path} cases[{i}]" for i in range(len(items))]
    return list(zip(items, places, strict=True)), defaults


def _plain_yaml(path: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise _fail(where, f"not valid YAML ({getattr(exc, 'problem', None) or exc})", "fix the syntax there") from None


def _yaml(path: str, text: str) -> tuple[list[tuple[object, str]], Mapping[str, Any] | None]:
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise _fail(f"{path}:{line}", "YAML aliases (*name) are not read", "write the value out in full")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise _fail(where, f"not valid YAML ({getattr(exc, 'problem', None) or exc})", "fix the syntax there") from None
    return _document(path, _plain_yaml(path, text), _item_lines(node))


def _item_lines(node: yaml.Node | None) -> dict[int, int]:
    """{index: line} of the case list's items: the top-level list, or the one under tests:/cases:."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in ("tests", "cases"):
                node = value
                break
    if not isinstance(node, yaml.SequenceNode):
        return {}
    return {index: item.start_mark.line + 1 for index, item in enumerate(node.value)}


def _csv(path: str, text: str) -> list[tuple[object, str]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise _fail(path, "the file is empty", "write a header row of variable names") from None
    except csv.Error as exc:
        raise _fail(f"{path}:1", f"not valid CSV ({exc})", "check the quoting") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    for column, name in enumerate(header):
        if not name or header.index(name) != column:
            raise _fail(f"{path}:1", f"column {column + 1} is {'blank' if not name else f'repeated: {name!r}'}",
                        "give every column its own name")  # fmt: skip
        _check_column(f"{path}:1", name)
    raw: list[tuple[object, str]] = []
    line = reader.line_num
    try:
        for row in reader:
            where = f"{path}:{line + 1}"
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise _fail(where, f"{len(row)} cells under {len(header)} columns", "quote cells that hold commas")
            raw.append((_csv_case(where, dict(zip(header, row, strict=True))), where))
    except csv.Error as exc:
        raise _fail(f"{path}:{reader.line_num}", f"not valid CSV ({exc})", "check the quoting") from None
    return raw


def _check_column(where: str, name: str) -> None:
    if not name.startswith("__"):
        return
    if name in ("__key", "__tags", "__description") or name.startswith("__metadata:"):
        return
    if re.fullmatch(r"__expected[0-9]*", name):
        return
    raise _fail(where, f"column {name!r} is not one Rungway reads",
                "use __expected, __expected1..., __key, __tags, __description or __metadata:NAME")  # fmt: skip


def _csv_case(where: str, row: Mapping[str, str]) -> dict[str, Any]:
    case: dict[str, Any] = {"vars": {k: v for k, v in row.items() if not k.startswith("__")}}
    metadata = {k.split(":", 1)[1]: v for k, v in row.items() if k.startswith("__metadata:") and v}
    if metadata:
        case["metadata"] = metadata
    for field, column in (("key", "__key"), ("tags", "__tags"), ("description", "__description")):
        if row.get(column, "").strip():
            case[field] = row[column].strip()
    assertions: list[dict[str, JsonValue]] = []
    for column in sorted(k for k in row if k.startswith("__expected")):
        cell = row[column].strip()
        if cell:
            assertions.append(_csv_assertion(f"{where} {column}", cell, case))
    if assertions:
        case["assert"] = assertions
    return case


def _csv_assertion(where: str, cell: str, case: dict[str, Any]) -> dict[str, JsonValue]:
    """promptfoo's `__expected` cell: `type: value`, `type(threshold): value`, a valueless type, or plain text."""
    match = _CSV_ASSERTION.fullmatch(cell)
    if match is not None:
        name, value, threshold = match.group("type"), match.group("value"), match.group("threshold")
        if name in _CODE_TYPES and value is not None:
            raise _fail(where, f"{name}: assertions run JavaScript or a file, which Rungway does not",
                        "use a built-in type, or type python with a module:function path")  # fmt: skip
        name = "llm-rubric" if name == "grader" else name
        base = name[4:] if name.startswith("not-") else name
        if base in known_types() and (value is not None or base in _NO_VALUE_TYPES):
            spec: dict[str, JsonValue] = {"type": name}
            if value is not None and value.strip():
                spec["value"] = value.strip()
            if threshold is not None:
                spec["threshold"] = float(threshold)
            return spec
    if "expected" in case:
        raise _fail(where, "a second plain expected output", "write the others as assertions, e.g. contains: x")
    case["expected"] = cell
    return {"type": "equals"}


def write_jsonl(cases: Iterable[Case], default_assertions: Sequence[Mapping[str, JsonValue]]) -> Iterator[bytes]:
    """The version as JSONL, one line at a time: a defaultTest line when it has default assertions, then its cases."""
    if default_assertions:
        yield orjson.dumps({"defaultTest": {"assert": [dict(a) for a in default_assertions]}}) + b"\n"
    for case in cases:
        yield orjson.dumps(case.to_json()) + b"\n"
