"""One prompt version read from a YAML or JSON file (`rungway prompts create FILE`), errors with file and line.

    name: support-answer          # optional: --name wins
    workload: support-bot         # optional: --workload wins; or `shared: true` (admin keys)
    message: shorter answers      # the commit message; optional: --message wins
    model: gpt-4o-mini
    parameters: {temperature: 0.2, max_tokens: 300}
    variables:
      - {name: question, description: what the customer asked}
      - {name: tone, default: friendly}
    messages:
      - role: system
        content: You answer for Acme, in a {{tone}} tone.
      - role: user
        content: "{{question}}"

The content is checked here with the same model the server uses, so a mistake is reported as
`FILE:LINE: field: problem` before anything is sent. (JSON is read as YAML, which it is.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rungway.errors import InvalidRequest
from rungway.prompts.template import PromptContent, PromptTemplateError

__all__ = ["ContentFile", "read_content_file"]

_CONTENT_KEYS = ("messages", "variables", "model", "parameters")
_OTHER_KEYS = ("name", "workload", "shared", "message")
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ContentFile:
    """What a file says: the content (checked), and the name, scope and message it gives, if any."""

    path: str
    content: PromptContent
    name: str | None
    workload: str | None
    shared: bool
    message: str | None


def _line_of(root: yaml.Node | None, param: str | None) -> int | None:
    """The 1-based line of the field `param` (`prompt.messages[1].content`) names, as deep as the file has it."""
    if root is None:
        return None
    node: yaml.Node = root
    line = node.start_mark.line + 1
    for part in re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\[\d+\]", param or "")[0:]:
        if part == "prompt" and node is root:
            continue
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
            if not found:
                break
            node = found[0][1]
            line = found[0][0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and part.startswith("["):
            index = int(part[1:-1])
            if index >= len(node.value):
                break
            node = node.value[index]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _refuse(path: str, line: int | None, message: str) -> InvalidRequest:
    where = f"{path}:{line}" if line else path
    return InvalidRequest(f"{where}: {message}")


def read_content_file(path: str) -> ContentFile:
    """The file's prompt, every field checked; InvalidRequest naming `FILE:LINE` and the field otherwise."""
    file = Path(path)
    try:
        raw_bytes = file.read_bytes()
    except OSError as error:
        raise InvalidRequest(f"{path}: cannot read it ({error.strerror}). Fix: give a YAML or JSON file") from None
    if len(raw_bytes) > MAX_FILE_BYTES:
        raise InvalidRequest(f"{path}: larger than {MAX_FILE_BYTES} bytes; a prompt is smaller than that")
    try:
        text = raw_bytes.decode()
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except UnicodeDecodeError:
        raise InvalidRequest(f"{path}: not UTF-8 text. Fix: save it as UTF-8") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        context, started = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and started is not None:
            problem = f"{problem} ({context} at line {started.line + 1})"
        raise _refuse(path, mark.line + 1 if mark else None, f"not valid YAML or JSON: {problem}") from None
    if not isinstance(data, dict):
        raise _refuse(path, 1, "expected a mapping with `messages` (and model, parameters, variables, name, ...)")
    unknown = sorted(str(k) for k in data if k not in (*_CONTENT_KEYS, *_OTHER_KEYS))
    if unknown:
        known = ", ".join((*_OTHER_KEYS, *_CONTENT_KEYS))
        raise _refuse(path, _line_of(root, unknown[0]), f"{unknown[0]}: unknown field; the known ones are {known}")
    try:
        content = PromptContent.from_json({k: data[k] for k in _CONTENT_KEYS if k in data}, where="prompt")
    except PromptTemplateError as error:
        message = error.message.removeprefix("prompt.")
        raise _refuse(path, _line_of(root, error.param), message) from None
    for key in ("name", "workload", "message"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _refuse(path, _line_of(root, key), f"{key}: expected text, got {type(data[key]).__name__}")
    shared = data.get("shared", False)
    if not isinstance(shared, bool):
        raise _refuse(path, _line_of(root, "shared"), "shared: expected true or false")
    return ContentFile(path, content, data.get("name"), data.get("workload"), shared, data.get("message"))
