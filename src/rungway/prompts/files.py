"""Prompts as readable files in a team's repository: one `<name>.yaml` or `<name>.md` per prompt.

`rungway prompts push DIR` reads these files, `pull DIR` writes them, so git can be the source of
truth while the registry serves, labels and reviews versions. The two formats:

`<name>.yaml` holds the keys `name` (optional: the file name is the default), `workload` or
`shared: true` (optional: else the command's `--workload`), `description`, `model`,
`parameters`, `variables`, `messages` (a list of `{role, content, name?}`) and `message` (the
commit message of the version a push creates).

`<name>.md` holds the same keys but `messages` as YAML front matter between two `---` lines, and
the messages in the body: each message starts with a level-2 heading that is exactly a role
(`## system`, `## developer`, `## user`, `## assistant`, `## tool`, or `## user (alice)` for a
named message); blank lines around a message's text are not part of it. A body without such
headings is one user message. Any other heading (`# Task`, `## Rules`) is text.

Reading checks everything (errors name the file, the line and the fix); writing is stable: the
same prompt always gives the same bytes, block style, multi-line text as `|` blocks, and what is
written reads back to the same content hash (checked on every write).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rungway.errors import InvalidRequest
from rungway.prompts.template import (
    NAME_PATTERN,
    JsonValue,
    PromptContent,
    PromptTemplateError,
    TemplateMessage,
    VariableSpec,
)
from rungway.prompts.yaml_text import YamlDoc, YamlTextError, dump_yaml, load_yaml_text

__all__ = [
    "FILE_SUFFIXES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "PromptFile",
    "PromptFileError",
    "dump_prompt_file",
    "logic_offset",
    "parse_prompt_file",
    "read_prompt_dir",
    "read_prompt_file",
    "write_prompt_file",
]

FILE_SUFFIXES = (".yaml", ".yml", ".md")
MAX_FILE_BYTES = 2 * 1024 * 1024
"""A prompt file larger than this is refused (a version's text is at most 1 MiB)."""
MAX_FILES = 2000
"""At most this many prompt files in one directory tree."""
MAX_COMMIT_MESSAGE = 1000
MAX_DESCRIPTION = 1000

_KEYS = ("name", "workload", "shared", "description", "model", "parameters", "variables", "messages", "message")
_ROLE_HEADING = re.compile(r"## (system|developer|user|assistant|tool)(?: \(([^()\n]{1,64})\))?[ \t]*")
_WORKLOAD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_LOGIC = re.compile(r"\{\{|\{%|\{#")
_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]{0,63}\s*\}\}")


class PromptFileError(InvalidRequest):
    """A prompt file that cannot be read or written; the message names the file, the line and the fix."""

    default_code = "invalid_prompt_file"

    def __init__(self, path: str, problem: str, fix: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}. Fix: {fix}", param="file")
        self.path = path
        self.line = line


@dataclass(frozen=True, slots=True)
class PromptFile:
    """One prompt as a file says it: its name and scope, its content, and the commit message for a push.

    `workload` None with `shared` False means the file names no scope: the command's `--workload`
    (or the key's own workload) decides.
    """

    name: str
    workload: str | None
    content: PromptContent
    commit_message: str | None
    path: str
    shared: bool = False
    description: str = ""


def read_prompt_file(path: Path, *, display: str | None = None) -> PromptFile:
    """Read and check one `.yaml`/`.yml`/`.md` prompt file; `display` is the path errors show."""
    shown = display or str(path)
    if path.suffix not in FILE_SUFFIXES:
        raise PromptFileError(shown, "not a prompt file", f"name it <prompt>{' or <prompt>'.join(FILE_SUFFIXES)}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PromptFileError(shown, f"{size} bytes is more than {MAX_FILE_BYTES}", "split the prompt")
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptFileError(shown, f"cannot read it ({exc.strerror})", "check the path and permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PromptFileError(shown, "not UTF-8 text", "save the file as UTF-8", line) from None
    return parse_prompt_file(text, shown, markdown=path.suffix == ".md")


def parse_prompt_file(text: str, path: str, *, markdown: bool) -> PromptFile:
    """A prompt from a file's text (`path` names it in errors and gives the default name)."""
    text = text.replace("\r\n", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if markdown:
        front, body, body_line = _split_front_matter(text, path)
        doc = _load(front, path, first_line=2)
        if isinstance(doc.data, dict) and "messages" in doc.data:
            raise PromptFileError(
                path, "a Markdown prompt keeps its messages in the body", "remove `messages:`", doc.line_of("messages")
            )
        messages, message_lines = _body_messages(body, body_line, path)
        return _prompt(doc, path, messages, message_lines)
    doc = _load(text, path, first_line=1)
    return _prompt(doc, path, None, {})


def _load(text: str, path: str, *, first_line: int) -> YamlDoc:
    try:
        doc = load_yaml_text(text, first_line=first_line)
    except YamlTextError as exc:
        raise PromptFileError(path, exc.problem, exc.fix, exc.line) from None
    if doc.data is None:
        return YamlDoc({}, doc.lines, doc.block_starts)
    if not isinstance(doc.data, dict):
        raise PromptFileError(path, "the top level must be a mapping of keys", "start with `model:` or `messages:`", 1)
    return doc


def _split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """(front matter YAML, body, the file line the body starts on)."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return "", text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise PromptFileError(path, "the front matter has no closing `---` line", "end the front matter with `---`", 1)


def _body_messages(body: str, first_line: int, path: str) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The body's messages, and the file line each message's text starts on."""
    lines = body.split("\n")
    headings = [(i, m) for i, line in enumerate(lines) if (m := _ROLE_HEADING.fullmatch(line))]
    if not headings:
        text, offset = _trimmed(lines)
        return [{"role": "user", "content": text}], {0: first_line + offset}
    leading, _ = _trimmed(lines[: headings[0][0]])
    if leading:
        raise PromptFileError(
            path,
            "text before the first `## <role>` heading belongs to no message",
            "start the body with a heading such as `## system`, or move the text under one",
            first_line,
        )
    messages: list[dict[str, Any]] = []
    starts: dict[int, int] = {}
    for number, (index, match) in enumerate(headings):
        end = headings[number + 1][0] if number + 1 < len(headings) else len(lines)
        text, offset = _trimmed(lines[index + 1 : end])
        message: dict[str, Any] = {"role": match.group(1), "content": text}
        if match.group(2):
            message["name"] = match.group(2)
        messages.append(message)
        starts[number] = first_line + index + 1 + offset
    return messages, starts


def _trimmed(lines: list[str]) -> tuple[str, int]:
    """The lines without blank lines at either end, joined; and how many were cut from the start."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), start


def _prompt(doc: YamlDoc, path: str, md_messages: list[dict[str, Any]] | None, md_lines: dict[int, int]) -> PromptFile:
    data: dict[str, Any] = doc.data
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            fix = f"did you mean `{close[0]}`?" if close else f"use only {', '.join(_KEYS)}"
            raise PromptFileError(path, f"unknown key {key!r}", fix, doc.line_of(key))
    stem = Path(path).name.rsplit(".", 1)[0]
    name = data.get("name", stem)
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise PromptFileError(
            path,
            f"the prompt name {name!r} is not valid",
            "use letters, digits, '.', '_' and '-' (up to 128, starting with a letter or digit)",
            doc.line_of("name") or 1,
        )
    workload, shared = _scope(data, doc, path)
    description = _text_key(data, "description", MAX_DESCRIPTION, doc, path)
    commit = _text_key(data, "message", MAX_COMMIT_MESSAGE, doc, path) or None
    raw: dict[str, Any] = {k: data[k] for k in ("model", "parameters", "variables", "messages") if k in data}
    if md_messages is not None:
        raw["messages"] = md_messages
    try:
        content = PromptContent.from_json(raw, where="prompt")
    except PromptTemplateError as exc:
        raise _content_error(exc, doc, path, raw, md_lines) from None
    return PromptFile(name, workload, content, commit, path, shared, description or "")


def _scope(data: dict[str, Any], doc: YamlDoc, path: str) -> tuple[str | None, bool]:
    shared = data.get("shared", False)
    if not isinstance(shared, bool):
        raise PromptFileError(path, "`shared` must be true or false", "write `shared: true`", doc.line_of("shared"))
    workload = data.get("workload")
    if workload is not None and (not isinstance(workload, str) or not _WORKLOAD.fullmatch(workload)):
        raise PromptFileError(
            path, f"the workload {workload!r} is not a workload name", "write e.g. `workload: support`",
            doc.line_of("workload"),
        )  # fmt: skip
    if shared and workload is not None:
        raise PromptFileError(
            path, "a prompt is either shared or a workload's", "remove `workload:` or `shared:`", doc.line_of("shared")
        )
    return workload, shared


def _text_key(data: dict[str, Any], key: str, limit: int, doc: YamlDoc, path: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        problem = f"`{key}` must be text of at most {limit} characters"
        raise PromptFileError(path, problem, "shorten it", doc.line_of(key))
    return value.strip()


def _content_error(
    exc: PromptTemplateError, doc: YamlDoc, path: str, raw: dict[str, Any], md_lines: dict[int, int]
) -> PromptFileError:
    """The template's error, with the file's line: of the offending construct when it is in a message."""
    param = (exc.param or "").removeprefix("prompt.")
    problem = re.sub(r"\bprompt\.(?=messages|variables|parameters|model)", "", exc.message).rstrip(".")
    line = doc.line_of(param)
    found = re.fullmatch(r"messages\[(\d+)\](?:\.content)?", param)
    messages = raw.get("messages")
    if found is not None and isinstance(messages, list) and int(found.group(1)) < len(messages):
        index = int(found.group(1))
        text = messages[index].get("content") if isinstance(messages[index], dict) else None
        at = logic_offset(text) if isinstance(text, str) else None
        below = text[:at].count("\n") if isinstance(text, str) and at is not None else 0
        if index in md_lines:
            line = md_lines[index] + below
        elif f"messages[{index}].content" in doc.block_starts:
            line = doc.block_starts[f"messages[{index}].content"] + below
    fix = "see docs/prompts.md for the file format"
    if "template logic" in exc.message:
        fix = "keep only {{name}} placeholders: move conditions, loops and filters into your code"
    return PromptFileError(path, problem, fix, line if line is not None else 1)


def logic_offset(text: str) -> int | None:
    """Where the first `{{`/`{%`/`{#` that is not a plain `{{name}}` placeholder starts."""
    for match in _LOGIC.finditer(text):
        if not _PLACEHOLDER.match(text, match.start()):
            return match.start()
    return None


def read_prompt_dir(directory: Path) -> list[PromptFile]:
    """Every prompt file under `directory` (recursively, sorted); two files naming one prompt are refused."""
    if not directory.is_dir():
        raise PromptFileError(str(directory), "not a directory", "pass the folder that holds your prompt files")
    files: list[PromptFile] = []
    seen: dict[tuple[str, str | None, bool], str] = {}
    for path in _prompt_paths(directory):
        prompt = read_prompt_file(path, display=str(path))
        key = (prompt.name, prompt.workload, prompt.shared)
        if key in seen:
            raise PromptFileError(
                str(path), f"the prompt {prompt.name!r} is also defined in {seen[key]}", "keep one file per prompt"
            )
        seen[key] = str(path)
        files.append(prompt)
    return files


def _prompt_paths(directory: Path) -> Iterator[Path]:
    count = 0
    for path in sorted(directory.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(directory).parts)  # .github/, .git/, ...
        if path.suffix in FILE_SUFFIXES and not hidden and path.is_file():
            count += 1
            if count > MAX_FILES:
                raise PromptFileError(str(directory), f"more than {MAX_FILES} prompt files", "push fewer at a time")
            yield path


def dump_prompt_file(prompt: PromptFile, *, markdown: bool = False) -> str:
    """The file text for `prompt` (without its commit message: that belongs to one version, not the file).

    Stable: the same prompt gives the same text; checked to read back to the same content.
    """
    head: dict[str, Any] = {"name": prompt.name}
    if prompt.shared:
        head["shared"] = True
    elif prompt.workload is not None:
        head["workload"] = prompt.workload
    if prompt.description:
        head["description"] = prompt.description
    content = prompt.content
    if content.model is not None:
        head["model"] = content.model
    parameters = content.parameters.to_json()
    if parameters:
        head["parameters"] = parameters
    variables = _written_variables(content)
    if variables:
        head["variables"] = variables
    if markdown:
        text = f"---\n{dump_yaml(head)}---\n\n{_markdown_body(prompt)}"
    else:
        head["messages"] = [m.to_json() for m in content.messages]
        text = dump_yaml(head)
    back = parse_prompt_file(text, prompt.path, markdown=markdown)
    if back.content.content_hash() != content.content_hash():  # a bug, never a user's mistake
        raise AssertionError(f"{prompt.path}: the written file does not read back to the same prompt")
    return text


def _written_variables(content: PromptContent) -> list[dict[str, JsonValue]]:
    """The variables, shortest form first: plain trailing ones (`{{x}}`, required string) are left implicit
    when the content reads back the same without them."""
    full = [_short_variable(v) for v in content.variables]
    for keep in range(len(full) + 1):
        if all(v == VariableSpec(v.name) for v in content.variables[keep:]):
            trial = {
                "messages": [m.to_json() for m in content.messages],
                "variables": full[:keep],
                "model": content.model,
                "parameters": content.parameters.to_json(),
            }
            if PromptContent.from_json(trial).content_hash() == content.content_hash():
                return full[:keep]
    return full


def _short_variable(spec: VariableSpec) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {"name": spec.name}
    if spec.type != "string":
        out["type"] = spec.type
    if spec.required != (spec.default is None):
        out["required"] = spec.required
    if spec.default is not None:
        out["default"] = spec.default
    if spec.description:
        out["description"] = spec.description
    return out


def _markdown_body(prompt: PromptFile) -> str:
    messages = prompt.content.messages
    for message in messages:
        _check_markdown_text(prompt.path, message)
    if len(messages) == 1 and messages[0].role == "user" and messages[0].name is None:
        return f"{messages[0].content}\n"
    parts = []
    for message in messages:
        heading = f"## {message.role}" + (f" ({message.name})" if message.name else "")
        parts.append(f"{heading}\n\n{message.content}\n" if message.content else f"{heading}\n")
    return "\n".join(parts)


def _check_markdown_text(path: str, message: TemplateMessage) -> None:
    text = message.content
    lines = text.split("\n")
    representable = (
        _trimmed(lines)[0] == text
        and not any(_ROLE_HEADING.fullmatch(line) for line in lines)
        and (message.name is None or re.fullmatch(r"[^()\n]{1,64}", message.name) is not None)
    )
    if not representable:
        raise PromptFileError(
            path,
            "this prompt's text cannot be written as Markdown exactly (blank lines at its ends, or a line "
            "that reads as a `## <role>` heading)",
            "keep it as a .yaml file",
        )


def write_prompt_file(prompt: PromptFile, path: Path) -> bool:
    """Write `prompt` to `path` (.md or .yaml by its suffix); False when the file already says exactly that."""
    text = dump_prompt_file(prompt, markdown=path.suffix == ".md")
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass  # unreadable or not UTF-8: written anew below
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
