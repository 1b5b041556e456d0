"""Imports from the formats teams already keep prompts in: Langfuse prompt exports and promptfoo prompt files.

Each source is read into `ImportedPrompt` values (a `PromptFile`, the labels it carried, where it
came from, and notes on what did not map), which `rungway prompts import` creates as versions.
Parsing is pure and bounded, never runs code, and refuses what would change meaning silently:
Langfuse message placeholders and prompt references, promptfoo prompt functions, and any
Nunjucks logic (`{% %}`, filters) are refused naming the file, the line when known, and the fix.
What maps and what does not is listed in docs/prompts.md ("Importing prompts").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import orjson

from rungway.prompts.files import MAX_FILES, PromptFile, PromptFileError, logic_offset
from rungway.prompts.template import (
    LABEL_PATTERN,
    NAME_PATTERN,
    PromptContent,
    PromptParameters,
    PromptTemplateError,
)
from rungway.prompts.yaml_text import YamlTextError, load_yaml_text

__all__ = [
    "IMPORT_FORMATS",
    "MAX_IMPORT_BYTES",
    "ImportedPrompt",
    "import_file",
    "import_langfuse",
    "import_promptfoo",
    "prompt_name",
]

IMPORT_FORMATS = ("langfuse", "promptfoo")
MAX_IMPORT_BYTES = 8 * 1024 * 1024
"""A file larger than this is refused: exports of thousands of prompt versions stay well under it."""
MAX_PROMPTS = 10_000
_LINE_MAP_BYTES = 1024 * 1024  # JSON line numbers come from a YAML pass, only for files this small
_LANGFUSE_REFERENCE = re.compile(r"@@@langfusePrompt:[^@]*@@@")
_CODE_SUFFIXES = (".js", ".cjs", ".mjs", ".ts", ".cts", ".mts", ".py")
_TEXT_SUFFIXES = (".txt", ".md", ".j2", ".prompt")
_PARAMETER_NAMES = frozenset(f.name for f in fields(PromptParameters))


@dataclass(frozen=True, slots=True)
class ImportedPrompt:
    """One prompt version read from another tool, with the labels it carried and what did not map."""

    prompt: PromptFile
    labels: tuple[str, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = ()
    source_version: int = 0  # the version number in the tool it came from (Langfuse), else 0


def prompt_name(raw: str) -> str:
    """A registry name for a name from elsewhere: Langfuse folders (`a/b`) become `a.b`, other characters `-`."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw.strip().replace("/", ".")).strip("-._")[:128]
    return name if NAME_PATTERN.fullmatch(name) else "imported"


def import_file(fmt: str, path: Path) -> list[ImportedPrompt]:
    """Read `path` as format `fmt` (`langfuse` or `promptfoo`)."""
    if fmt == "langfuse":
        return import_langfuse(_read(path), str(path))
    if fmt == "promptfoo":
        return import_promptfoo(path)
    raise PromptFileError(str(path), f"unknown format {fmt!r}", f"use --from {' or --from '.join(IMPORT_FORMATS)}")


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise PromptFileError(str(path), f"larger than {MAX_IMPORT_BYTES} bytes", "import a smaller export")
        return path.read_bytes()
    except OSError as exc:
        raise PromptFileError(str(path), f"cannot read it ({exc.strerror})", "check the path") from None


def _text(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8").replace("\r\n", "\n").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise PromptFileError(path, "not UTF-8 text", "save it as UTF-8", data[: exc.start].count(b"\n") + 1) from None


# --- Langfuse ------------------------------------------------------------------------------------


def import_langfuse(data: bytes, path: str) -> list[ImportedPrompt]:
    """One prompt version as `GET /api/public/v2/prompts/{name}` returns it, a JSON array of them,
    or `{"data": [...]}`; versions come back in (name, version) order, so they are created in order."""
    text = _text(data, path)
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise PromptFileError(
            path, f"not valid JSON ({exc.msg})", "pass the JSON Langfuse returned", exc.lineno
        ) from None
    lines = _json_lines(text)
    items: list[Any]
    prefix: str
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        items, prefix = doc["data"], "data"
    elif isinstance(doc, list):
        items, prefix = doc, ""
    else:
        items, prefix = [doc], ""
    if not items or len(items) > MAX_PROMPTS:
        raise PromptFileError(path, f"expected 1 to {MAX_PROMPTS} prompts", "pass a Langfuse prompt or an array")
    out = []
    for index, item in enumerate(items):
        where = f"{prefix}[{index}]" if prefix or isinstance(doc, list) else ""
        out.append(_langfuse_prompt(item, path, where, lines))
    return sorted(out, key=lambda p: (p.prompt.name, p.source_version))


def _json_lines(text: str) -> dict[str, int]:
    if len(text) > _LINE_MAP_BYTES:
        return {}
    try:
        return load_yaml_text(text).lines
    except (YamlTextError, RecursionError):
        return {}  # JSON that YAML 1.1 reads differently: errors name the item instead of the line


def _at(lines: dict[str, int], where: str, key: str = "") -> int | None:
    path = f"{where}.{key}" if where and key else where or key
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _langfuse_prompt(item: Any, path: str, where: str, lines: dict[str, int]) -> ImportedPrompt:
    def fail(problem: str, fix: str, key: str = "") -> PromptFileError:
        return PromptFileError(path, f"{where + ': ' if where else ''}{problem}", fix, _at(lines, where, key))

    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or "prompt" not in item:
        raise fail(
            "not a Langfuse prompt (needs name and prompt)", "pass what GET /api/public/v2/prompts/{name} returns"
        )
    raw_name: str = item["name"]
    version = item.get("version")
    version = version if isinstance(version, int) and not isinstance(version, bool) else None
    ref = f"{raw_name!r}" + (f" v{version}" if version is not None else "")
    notes: list[str] = []
    name = prompt_name(raw_name)
    if name != raw_name:
        notes.append(f"renamed {raw_name!r} to {name!r} (registry names use letters, digits, '.', '_', '-')")
    messages = _langfuse_messages(item["prompt"], item.get("type"), ref, fail)
    model, parameters = _langfuse_config(item.get("config"), ref, notes, fail)
    labels = []
    for label in item.get("labels") or []:
        if label == "latest":
            continue  # virtual in both tools: always the newest version
        if isinstance(label, str) and LABEL_PATTERN.fullmatch(label):
            labels.append(label)
        else:
            notes.append(f"label {label!r} skipped: labels are lowercase letters, digits, '.', '_', '-'")
    if item.get("tags"):
        notes.append(f"tags {', '.join(map(str, item['tags']))} not imported (the registry has no tags)")
    raw = {"messages": messages, "model": model, "parameters": parameters}
    try:
        content = PromptContent.from_json(raw, where="prompt")
    except PromptTemplateError as exc:
        raise fail(f"prompt {ref}: {exc.message.rstrip('.')}", _template_fix(exc), "prompt") from None
    commit = item.get("commitMessage")
    message = commit if isinstance(commit, str) and commit.strip() else f"Imported from Langfuse {ref}"
    prompt = PromptFile(name, None, content, message[:1000], path)
    source = f"{path}: Langfuse {raw_name}" + (f" v{version}" if version is not None else "")
    return ImportedPrompt(prompt, tuple(labels), source, tuple(notes), version or 0)


def _langfuse_messages(raw: Any, kind: Any, ref: str, fail: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        messages = [{"role": "user", "content": raw}]
    elif isinstance(raw, list) and kind in (None, "chat"):
        messages = []
        for index, message in enumerate(raw):
            if isinstance(message, dict) and message.get("type") == "placeholder":
                raise fail(
                    f"prompt {ref}: message placeholder {message.get('name')!r} has no equivalent (a prompt's "
                    "variables are text, not lists of messages)",
                    "remove the placeholder and send those messages after the prompt in the call",
                    f"prompt[{index}]",
                )
            if not isinstance(message, dict) or not {"role", "content"} <= set(message):
                raise fail(f"prompt {ref}: message {index} needs role and content", "pass the export unedited")
            messages.append({"role": message["role"], "content": message["content"]})
    else:
        raise fail(f"prompt {ref}: `prompt` must be text or a list of chat messages", "pass the export unedited")
    for index, message in enumerate(messages):
        content = message["content"]
        if isinstance(content, str) and _LANGFUSE_REFERENCE.search(content):
            raise fail(
                f"prompt {ref}: message {index} includes another Langfuse prompt "
                f"({_LANGFUSE_REFERENCE.search(content).group(0)[:80]!r})",  # type: ignore[union-attr]
                "export it with ?resolve=true (the default), so the reference is inlined",
                f"prompt[{index}]" if isinstance(raw, list) else "prompt",
            )
    return messages


def _langfuse_config(raw: Any, ref: str, notes: list[str], fail: Any) -> tuple[str | None, dict[str, Any]]:
    if raw is None or raw == {}:
        return None, {}
    if not isinstance(raw, dict):
        raise fail(f"prompt {ref}: config must be an object", "pass the export unedited", "config")
    model = raw.get("model")
    if model is not None and not isinstance(model, str):
        notes.append("config.model is not text: dropped")
        model = None
    parameters = {k: v for k, v in raw.items() if k in _PARAMETER_NAMES and v is not None}
    dropped = sorted(k for k in raw if k != "model" and k not in _PARAMETER_NAMES)
    if dropped:
        notes.append(f"config {', '.join(dropped)} not imported (not a request parameter a prompt may set)")
    try:
        PromptParameters.from_json(parameters, where="config")
    except PromptTemplateError as exc:
        raise fail(
            f"prompt {ref}: {exc.message.rstrip('.')}", "fix the value in Langfuse or the export", "config"
        ) from None
    return model, parameters


def _template_fix(exc: PromptTemplateError) -> str:
    if "template logic" in exc.message:
        return "keep only {{name}} placeholders: move conditions, loops and filters into your code"
    return "fix it in the source, then import again"


# --- promptfoo -----------------------------------------------------------------------------------


def import_promptfoo(path: Path) -> list[ImportedPrompt]:
    """A promptfoo prompt file (.txt/.md/.j2 text, .json/.jsonl chat, .yaml list of messages), or a
    promptfooconfig.yaml, whose `prompts:` (inline text, `file://` references, `{id, raw, label}`) are read."""
    shown = str(path)
    if path.suffix in _CODE_SUFFIXES:
        raise _code_refused(shown)
    if path.suffix in (".yaml", ".yml"):
        text = _text(_read(path), shown)
        try:
            doc = load_yaml_text(text)
        except YamlTextError as exc:
            raise PromptFileError(shown, exc.problem, exc.fix, exc.line) from None
        if isinstance(doc.data, dict) and "prompts" in doc.data:
            return _unique(_promptfoo_config(doc.data["prompts"], path, doc.lines))
    return _unique(_promptfoo_file(path, None))


def _code_refused(shown: str) -> PromptFileError:
    return PromptFileError(
        shown, "a prompt function runs code, which the registry never does", "render it once and import the text"
    )


def _promptfoo_file(path: Path, label: str | None) -> list[ImportedPrompt]:
    shown = str(path)
    if path.suffix in _CODE_SUFFIXES:
        raise _code_refused(shown)
    text = _text(_read(path), shown)
    stem = label or path.name.rsplit(".", 1)[0]
    if path.suffix in (".json", ".yaml", ".yml"):
        chats = [_chat_document(text, shown, path.suffix == ".json")]
        return [_promptfoo_prompt(stem, messages, shown, 1) for messages in chats]
    if path.suffix == ".jsonl":
        rows = [(n + 1, line) for n, line in enumerate(text.split("\n")) if line.strip()]
        return [
            _promptfoo_prompt(
                f"{stem}-{i + 1}" if len(rows) > 1 else stem, _chat_document(row, shown, True, n), shown, n
            )
            for i, (n, row) in enumerate(rows)
        ]
    if path.suffix not in _TEXT_SUFFIXES:
        raise PromptFileError(shown, f"{path.suffix or 'no suffix'}: not a promptfoo prompt file", _SUFFIX_FIX)
    parts = _split_text_prompts(text)
    return [
        _promptfoo_prompt(f"{stem}-{i + 1}" if len(parts) > 1 else stem, _text_messages(part), shown, line)
        for i, (line, part) in enumerate(parts)
    ]


_SUFFIX_FIX = "use .txt, .md, .j2, .json, .jsonl, .yaml or a promptfooconfig.yaml"


def _split_text_prompts(text: str) -> list[tuple[int, str]]:
    """promptfoo's rule: a line `---` separates prompts; each is trimmed; empty ones are dropped.
    Each prompt comes with the file line its text starts on."""
    parts: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    for number, line in enumerate([*text.split("\n"), "---"], start=1):
        if line.strip() != "---":
            if not buffer and not line.strip():
                continue  # blank lines before a prompt are not part of it
            start = start or number
            buffer.append(line)
            continue
        body = "\n".join(buffer).strip()
        if body:
            parts.append((start, body))
        buffer, start = [], 0
    return parts


def _text_messages(text: str) -> list[dict[str, Any]]:
    """A text prompt is one user message; text that is a JSON array of chat messages is those messages."""
    if text.startswith("["):
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, list) and doc and all(isinstance(m, dict) and "role" in m for m in doc):
            return doc
    return [{"role": "user", "content": text}]


def _chat_document(text: str, shown: str, is_json: bool, line: int = 1) -> list[dict[str, Any]]:
    try:
        doc = orjson.loads(text) if is_json else load_yaml_text(text).data
    except orjson.JSONDecodeError as exc:
        raise PromptFileError(shown, f"not valid JSON ({exc.msg})", "fix the JSON", line + exc.lineno - 1) from None
    except YamlTextError as exc:
        raise PromptFileError(shown, exc.problem, exc.fix, exc.line) from None
    if not isinstance(doc, list) or not all(isinstance(m, dict) for m in doc):
        raise PromptFileError(
            shown, "expected a list of chat messages ({role, content})", "write e.g. [{role: user, content: ...}]", line
        )
    return doc


def _promptfoo_prompt(name: str, messages: list[dict[str, Any]], shown: str, line: int) -> ImportedPrompt:
    notes = []
    for message in messages:
        for key in sorted(set(message) - {"role", "content", "name"}):
            notes.append(f"message field {key!r} not imported")
    clean = [{k: v for k, v in m.items() if k in ("role", "content", "name")} for m in messages]
    try:
        content = PromptContent.from_json({"messages": clean}, where="prompt")
    except PromptTemplateError as exc:
        at = _construct_line(exc, clean, line)
        problem = re.sub(r"\bprompt\.(?=messages)", "", exc.message).rstrip(".")
        raise PromptFileError(shown, f"{problem} (Nunjucks logic does not map)", _template_fix(exc), at) from None
    registry_name = prompt_name(name)
    renamed = (f"renamed {name!r} to {registry_name!r}",) if registry_name != name else ()
    prompt = PromptFile(registry_name, None, content, f"Imported from promptfoo {shown}", shown)
    return ImportedPrompt(prompt, (), f"{shown}: promptfoo {name}", (*renamed, *notes))


def _construct_line(exc: PromptTemplateError, messages: list[dict[str, Any]], line: int) -> int:
    """The file line of a refused construct: exact for text prompts (one message), else the prompt's line."""
    found = re.search(r"messages\[(\d+)\]", exc.param or "")
    if found is None or len(messages) != 1:
        return line
    text = messages[int(found.group(1))].get("content")
    at = logic_offset(text) if isinstance(text, str) else None
    return line + (text[:at].count("\n") if isinstance(text, str) and at is not None else 0)


def _promptfoo_config(raw: Any, config: Path, lines: dict[str, int]) -> list[ImportedPrompt]:
    shown = str(config)
    entries: list[tuple[str, Any, str | None]]  # (key path, value, label)
    if isinstance(raw, str):
        entries = [("prompts", raw, None)]
    elif isinstance(raw, list):
        entries = [(f"prompts[{i}]", item, None) for i, item in enumerate(raw)]
    elif isinstance(raw, dict):  # the older {path-or-text: label} form
        entries = [(f"prompts.{k}", k, v if isinstance(v, str) else None) for k, v in raw.items()]
    else:
        raise PromptFileError(
            shown, "`prompts` must be a list", "see promptfoo's prompt configuration", lines.get("prompts")
        )
    out: list[ImportedPrompt] = []
    for index, (key, item, label) in enumerate(entries):
        line = lines.get(key, 1)
        if isinstance(item, dict):
            label = item.get("label") if isinstance(item.get("label"), str) else None
            value = item.get("raw") if isinstance(item.get("raw"), str) else item.get("id")
            if not isinstance(value, str):
                raise PromptFileError(shown, "a prompt object needs `raw` or a `file://` id", "add raw: or id:", line)
            extra = sorted(set(item) - {"id", "raw", "label"})
        else:
            value, extra = item, []
        if not isinstance(value, str):
            raise PromptFileError(shown, "a prompt must be text or a file:// reference", "see promptfoo's docs", line)
        found = _config_entry(value, label, config, index, line, len(entries))
        note = (f"prompt fields {', '.join(extra)} not imported",) if extra else ()
        out.extend(replace(p, notes=(*p.notes, *note)) for p in found)
    return out


def _config_entry(
    value: str, label: str | None, config: Path, index: int, line: int, count: int
) -> list[ImportedPrompt]:
    shown = str(config)
    if not value.startswith("file://"):
        name = label or (f"{config.name.rsplit('.', 1)[0]}-{index + 1}" if count > 1 else config.stem)
        imported = _promptfoo_prompt(name, _text_messages(value.strip()), shown, line)
        return [imported]
    target = value.removeprefix("file://")
    if re.search(r"\.(?:js|cjs|mjs|ts|cts|mts|py)(?::[\w.]+)?$", target):
        raise PromptFileError(
            shown, f"{value}: a prompt function runs code, which the registry never does",
            "render it once and import the text", line,
        )  # fmt: skip
    paths = _glob(config.parent, target) if any(c in target for c in "*?[") else [config.parent / target]
    if not paths:
        raise PromptFileError(shown, f"{value} matches no file", "check the path (relative to this config)", line)
    out: list[ImportedPrompt] = []
    for path in paths:
        if not path.is_file():
            raise PromptFileError(shown, f"{value}: no such file", "check the path (relative to this config)", line)
        out.extend(_promptfoo_file(path, label if len(paths) == 1 else None))
    return out


def _glob(base: Path, pattern: str) -> list[Path]:
    found: list[Path] = []
    for path in sorted(base.glob(pattern)):
        if path.is_file():
            found.append(path)
            if len(found) > MAX_FILES:
                raise PromptFileError(str(base), f"{pattern} matches more than {MAX_FILES} files", "narrow it")
    return found


def _unique(prompts: Iterable[ImportedPrompt]) -> list[ImportedPrompt]:
    """Distinct names: a second prompt of the same name gets `-2`, `-3`... and a note saying so."""
    out: list[ImportedPrompt] = []
    used: set[str] = set()
    for imported in prompts:
        name = imported.prompt.name
        if name in used:
            number = 2
            while f"{name}-{number}" in used:
                number += 1
            new = f"{name}-{number}"
            imported = replace(
                imported,
                prompt=replace(imported.prompt, name=new),
                notes=(*imported.notes, f"named {new!r}: {name!r} was taken by an earlier prompt"),
            )
        used.add(imported.prompt.name)
        out.append(imported)
    if len(out) > MAX_PROMPTS:
        raise PromptFileError("promptfoo", f"more than {MAX_PROMPTS} prompts", "import fewer at a time")
    return out
