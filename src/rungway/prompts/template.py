"""A prompt version's content and how it renders: pure, no I/O, no code execution.

A prompt's content is a list of chat messages whose text may hold `{{name}}` placeholders, the
variables it declares (type, required, default), and the model and parameters it was written for.
Rendering substitutes values and nothing else: there are no expressions, filters, loops or
includes, so a template can never run code or read anything but the values it is given. Any other
use of `{{ }}` or `{% %}` is refused when the content is created, so a template imported from a
logic-bearing format (Jinja, Nunjucks) never renders half-substituted.

The same module renders in the gateway (a `"prompt"` reference in a chat completion), in the SDK
(`rungway.sdk.prompts`) and in the CLI, so one version renders to the same messages everywhere.
Every size is bounded: messages, text, variables and the rendered output.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, cast

import orjson

from rungway.errors import InvalidRequest

__all__ = [
    "LABEL_PATTERN",
    "MAX_MESSAGES",
    "MAX_RENDERED_CHARS",
    "MAX_TEMPLATE_CHARS",
    "MAX_VARIABLES",
    "NAME_PATTERN",
    "ROLES",
    "VARIABLE_TYPES",
    "JsonValue",
    "PromptContent",
    "PromptParameters",
    "PromptTemplateError",
    "PromptVariableError",
    "RenderedPrompt",
    "TemplateMessage",
    "VariableSpec",
    "placeholders",
    "render",
]

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A prompt's name (full match)."""
LABEL_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
"""A label's name (full match); `latest` is virtual: always the newest version."""
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

Role = Literal["system", "developer", "user", "assistant", "tool"]
ROLES: tuple[Role, ...] = ("system", "developer", "user", "assistant", "tool")
VariableType = Literal["string", "number", "integer", "boolean", "json"]
VARIABLE_TYPES: tuple[VariableType, ...] = ("string", "number", "integer", "boolean", "json")

MAX_MESSAGES = 256
MAX_TEMPLATE_CHARS = 1_048_576  # all messages' text together
MAX_VARIABLES = 64
MAX_RENDERED_CHARS = 4_194_304  # a value used many times cannot blow a small call up past this
MAX_TOOLS = 128
MAX_DESCRIPTION_CHARS = 1_000
MAX_DEFAULT_BYTES = 65_536

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
_TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#")


class PromptTemplateError(InvalidRequest):
    """A prompt's content is not valid: refused when the version is created (400, `param` names the field)."""

    default_code = "invalid_prompt"


class PromptVariableError(InvalidRequest):
    """A value given to render a prompt is missing, mistyped or undeclared (400 naming it and the version)."""

    default_code = "invalid_prompt_variable"


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """A variable a prompt declares: its type, whether a call must give it, and its default."""

    name: str
    type: VariableType = "string"
    required: bool = True
    default: JsonValue = None
    description: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"name": self.name, "type": self.type, "required": self.required}
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True, slots=True)
class TemplateMessage:
    """One chat message of a template; `content` may hold `{{name}}` placeholders."""

    role: Role
    content: str
    name: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"role": self.role, "content": self.content}
        if self.name is not None:
            out["name"] = self.name
        return out


_NUMBER_LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
_WHOLE_LIMITS: dict[str, tuple[int, int]] = {
    "max_tokens": (1, 2**31 - 1),
    "max_completion_tokens": (1, 2**31 - 1),
    "seed": (-(2**63), 2**63 - 1),
}
_REASONING_EFFORTS = ("minimal", "low", "medium", "high")


@dataclass(frozen=True, slots=True)
class PromptParameters:
    """The request parameters a version was written for; a call that sets one itself wins."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: tuple[str, ...] | None = None
    reasoning_effort: str | None = None
    response_format: dict[str, JsonValue] | None = None
    tools: tuple[dict[str, JsonValue], ...] | None = None
    tool_choice: JsonValue = None

    def to_json(self) -> dict[str, JsonValue]:
        """The set parameters, as the fields of a chat completion body."""
        out: dict[str, JsonValue] = {}
        for name in _PARAMETER_NAMES:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "stop":
                out[name] = list(value)
            elif name == "tools":
                out[name] = [dict(tool) for tool in value]
            else:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, raw: object, *, where: str) -> PromptParameters:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise PromptTemplateError(f"{where} must be an object of request parameters.", param=where)
        unknown = sorted(set(raw) - set(_PARAMETER_NAMES))
        if unknown:
            raise PromptTemplateError(
                f"{where}.{unknown[0]} is not a parameter a prompt may set; known: {', '.join(_PARAMETER_NAMES)}.",
                param=f"{where}.{unknown[0]}",
            )
        values: dict[str, object] = {}
        for name, value in raw.items():
            if value is not None:
                values[name] = _parameter(name, value, f"{where}.{name}")
        return cls(**values)  # type: ignore[arg-type]  # each value was checked for its field above


_PARAMETER_NAMES: tuple[str, ...] = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stop",
    "reasoning_effort",
    "response_format",
    "tools",
    "tool_choice",
)


def _parameter(name: str, value: object, where: str) -> object:
    if name in _NUMBER_LIMITS:
        low, high = _NUMBER_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise PromptTemplateError(f"{where} must be a number from {low:g} to {high:g}; got {value!r}.", param=where)
        return float(value)
    if name in _WHOLE_LIMITS:
        low_i, high_i = _WHOLE_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low_i <= value <= high_i:
            raise PromptTemplateError(f"{where} must be a whole number from {low_i} to {high_i}.", param=where)
        return value
    if name == "stop":
        stops = [value] if isinstance(value, str) else value
        if not isinstance(stops, list) or not 1 <= len(stops) <= 4 or not all(isinstance(s, str) for s in stops):
            raise PromptTemplateError(f"{where} must be a string or an array of 1 to 4 strings.", param=where)
        return tuple(cast(list[str], stops))
    if name == "reasoning_effort":
        if value not in _REASONING_EFFORTS:
            raise PromptTemplateError(f"{where} must be one of {', '.join(_REASONING_EFFORTS)}.", param=where)
        return value
    if name == "response_format":
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise PromptTemplateError(f'{where} must be an object such as {{"type": "json_object"}}.', param=where)
        return _json_copy(value, where)
    if name == "tools":
        if not isinstance(value, list) or len(value) > MAX_TOOLS or not all(isinstance(t, dict) for t in value):
            raise PromptTemplateError(f"{where} must be an array of at most {MAX_TOOLS} tool objects.", param=where)
        return tuple(cast(dict[str, JsonValue], _json_copy(t, f"{where}[{i}]")) for i, t in enumerate(value))
    # tool_choice: "none" | "auto" | "required" | {"type": "function", ...}
    if not isinstance(value, str | dict):
        raise PromptTemplateError(f"{where} must be a string or an object.", param=where)
    return _json_copy(value, where)


def _json_copy(value: object, where: str) -> JsonValue:
    """A JSON value, checked to be one (and bounded), as a fresh copy nobody else holds."""
    try:
        raw = orjson.dumps(value)
    except TypeError:
        raise PromptTemplateError(f"{where} must be plain JSON.", param=where) from None
    if len(raw) > MAX_TEMPLATE_CHARS:
        raise PromptTemplateError(f"{where} is larger than {MAX_TEMPLATE_CHARS} bytes.", param=where)
    return cast(JsonValue, orjson.loads(raw))


Segment: TypeAlias = "str | tuple[str]"  # literal text, or (variable name,)


@dataclass(frozen=True)
class PromptContent:
    """What a version holds and is identified by: messages, variables, model and parameters.

    Two versions with equal content have the same `content_hash()`; the commit message, author and
    time are not content, so pushing the same files twice makes no new version.
    """

    messages: tuple[TemplateMessage, ...]
    variables: tuple[VariableSpec, ...] = ()
    model: str | None = None
    parameters: PromptParameters = field(default_factory=PromptParameters)
    _compiled: tuple[tuple[Segment, ...], ...] = field(default=(), init=False, repr=False, compare=False)
    _by_name: Mapping[str, VariableSpec] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_messages(self.messages)
        declared = {v.name: v for v in self.variables}
        if len(declared) != len(self.variables):
            raise PromptTemplateError("variables: a variable is declared twice.", param="variables")
        compiled = tuple(_compile(m.content, f"messages[{i}].content") for i, m in enumerate(self.messages))
        implicit = [
            VariableSpec(name)
            for name in dict.fromkeys(s[0] for parts in compiled for s in parts if isinstance(s, tuple))
            if name not in declared
        ]
        variables = (*self.variables, *implicit)
        if len(variables) > MAX_VARIABLES:
            raise PromptTemplateError(f"a prompt may use at most {MAX_VARIABLES} variables.", param="variables")
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "_compiled", compiled)
        object.__setattr__(self, "_by_name", {v.name: v for v in variables})

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "messages": [m.to_json() for m in self.messages],
            "variables": [v.to_json() for v in self.variables],
            "model": self.model,
            "parameters": self.parameters.to_json(),
        }

    def content_hash(self) -> str:
        """sha256 of the canonical JSON of the content: the same content, the same hash, on every machine."""
        return hashlib.sha256(orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)).hexdigest()

    @classmethod
    def from_json(cls, raw: object, *, where: str = "prompt") -> PromptContent:
        """Content from its JSON form (API bodies, files, imports), every field checked; errors name the field."""
        if not isinstance(raw, dict):
            raise PromptTemplateError(f"{where} must be an object with `messages`.", param=where)
        unknown = sorted(set(raw) - {"messages", "variables", "model", "parameters"})
        if unknown:
            raise PromptTemplateError(
                f"{where}.{unknown[0]} is not a field of a prompt; use messages, variables, model, parameters.",
                param=f"{where}.{unknown[0]}",
            )
        model = raw.get("model")
        if model is not None and (not isinstance(model, str) or not 0 < len(model) <= 128):
            raise PromptTemplateError(f"{where}.model must be a model name of 1 to 128 characters.", param="model")
        return cls(
            messages=_messages_from_json(raw.get("messages"), f"{where}.messages"),
            variables=_variables_from_json(raw.get("variables"), f"{where}.variables"),
            model=model,
            parameters=PromptParameters.from_json(raw.get("parameters"), where=f"{where}.parameters"),
        )

    def variable(self, name: str) -> VariableSpec | None:
        return self._by_name.get(name)

    def render(self, values: Mapping[str, object], *, ref: str, max_chars: int = MAX_RENDERED_CHARS) -> RenderedPrompt:
        return render(self, values, ref=ref, max_chars=max_chars)


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """A rendered version: OpenAI chat messages, and the model and parameters it was written for."""

    messages: list[dict[str, str]]
    model: str | None
    parameters: dict[str, JsonValue]


def placeholders(text: str) -> list[str]:
    """The variable names `text` uses, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in _PLACEHOLDER.finditer(text)))


def render(
    content: PromptContent, values: Mapping[str, object], *, ref: str, max_chars: int = MAX_RENDERED_CHARS
) -> RenderedPrompt:
    """The version's messages with `values` substituted; `ref` ("name@3") names the version in errors."""
    for name in values:
        if name not in content._by_name:
            known = ", ".join(v.name for v in content.variables) or "none"
            raise PromptVariableError(
                f"Prompt {ref} declares no variable {name!r}; it declares: {known}.",
                param=f"prompt.variables.{name}",
                code="unknown_prompt_variable",
            )
    text_of: dict[str, str] = {}
    for spec in content.variables:
        if spec.name in values:
            text_of[spec.name] = _value_text(spec, values[spec.name], ref)
        elif spec.default is not None:
            text_of[spec.name] = _value_text(spec, spec.default, ref)
        elif spec.required:
            raise PromptVariableError(
                f"Prompt {ref} needs the variable {spec.name!r} ({spec.type}); send it in prompt.variables.",
                param=f"prompt.variables.{spec.name}",
                code="missing_prompt_variable",
            )
        else:
            text_of[spec.name] = ""
    messages: list[dict[str, str]] = []
    total = 0
    for message, parts in zip(content.messages, content._compiled, strict=True):
        text = "".join(part if isinstance(part, str) else text_of[part[0]] for part in parts)
        total += len(text)
        if total > max_chars:
            raise PromptVariableError(
                f"Prompt {ref} renders to more than {max_chars} characters with these variables.",
                param="prompt.variables",
                code="prompt_too_large",
            )
        rendered = {"role": message.role, "content": text}
        if message.name is not None:
            rendered["name"] = message.name
        messages.append(rendered)
    return RenderedPrompt(messages, content.model, content.parameters.to_json())


def _value_text(spec: VariableSpec, value: object, ref: str) -> str:
    kind = spec.type
    ok: bool
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    else:
        ok = True
    if not ok:
        raise PromptVariableError(
            f"Prompt {ref}: variable {spec.name!r} must be {_A[kind]}; got {type(value).__name__}.",
            param=f"prompt.variables.{spec.name}",
            code="invalid_prompt_variable",
        )
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        raise PromptVariableError(
            f"Prompt {ref}: variable {spec.name!r} must be plain JSON.", param=f"prompt.variables.{spec.name}"
        ) from None


_A = {"string": "a string", "integer": "a whole number", "number": "a number", "boolean": "a boolean", "json": "JSON"}


def _compile(text: str, where: str) -> tuple[Segment, ...]:
    """Literal text and placeholders; any other template syntax is refused, naming where it is."""
    parts: list[Segment] = []
    at = 0
    for match in _PLACEHOLDER.finditer(text):
        _literal(text[at : match.start()], where, parts)
        parts.append((match.group(1),))
        at = match.end()
    _literal(text[at:], where, parts)
    return tuple(parts)


def _literal(text: str, where: str, parts: list[Segment]) -> None:
    found = _TEMPLATE_SYNTAX.search(text)
    if found is not None:
        snippet = text[found.start() : found.start() + 40]
        raise PromptTemplateError(
            f"{where}: {snippet!r} is template logic or an unknown placeholder; a prompt may only use "
            "{{name}} placeholders (letters, digits and _), no expressions, filters or tags.",
            param=where,
        )
    if text:
        parts.append(text)


def _check_messages(messages: Sequence[TemplateMessage]) -> None:
    if not messages:
        raise PromptTemplateError("messages must hold at least one message.", param="messages")
    if len(messages) > MAX_MESSAGES:
        raise PromptTemplateError(f"a prompt may hold at most {MAX_MESSAGES} messages.", param="messages")
    if sum(len(m.content) for m in messages) > MAX_TEMPLATE_CHARS:
        raise PromptTemplateError(f"the messages hold more than {MAX_TEMPLATE_CHARS} characters.", param="messages")


def _messages_from_json(raw: object, where: str) -> tuple[TemplateMessage, ...]:
    if not isinstance(raw, list) or not raw:
        raise PromptTemplateError(f"{where} must be a non-empty array of messages.", param=where)
    if len(raw) > MAX_MESSAGES:
        raise PromptTemplateError(f"{where} holds more than {MAX_MESSAGES} messages.", param=where)
    out: list[TemplateMessage] = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise PromptTemplateError(f"{at} must be an object with role and content.", param=at)
        unknown = sorted(set(item) - {"role", "content", "name"})
        if unknown:
            raise PromptTemplateError(f"{at}.{unknown[0]} is not a field of a prompt message.", param=at)
        role = item.get("role")
        if role not in ROLES:
            raise PromptTemplateError(f"{at}.role must be one of {', '.join(ROLES)}; got {role!r}.", param=at)
        text = item.get("content")
        if not isinstance(text, str):
            raise PromptTemplateError(f"{at}.content must be a string (the template text).", param=at)
        name = item.get("name")
        if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 64):
            raise PromptTemplateError(f"{at}.name must be a string of 1 to 64 characters.", param=at)
        out.append(TemplateMessage(cast(Role, role), text, name))
    return tuple(out)


def _variables_from_json(raw: object, where: str) -> tuple[VariableSpec, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):  # {"name": {"type": ...}} is accepted as well as a list
        raw = [{"name": key, **(value if isinstance(value, dict) else {"type": value})} for key, value in raw.items()]
    if not isinstance(raw, list):
        raise PromptTemplateError(f"{where} must be an array of variables.", param=where)
    if len(raw) > MAX_VARIABLES:
        raise PromptTemplateError(f"{where} declares more than {MAX_VARIABLES} variables.", param=where)
    return tuple(_variable(item, f"{where}[{index}]") for index, item in enumerate(raw))


def _variable(item: object, at: str) -> VariableSpec:
    if not isinstance(item, dict):
        raise PromptTemplateError(f"{at} must be an object with a name.", param=at)
    unknown = sorted(set(item) - {"name", "type", "required", "default", "description"})
    if unknown:
        raise PromptTemplateError(f"{at}.{unknown[0]} is not a field of a variable.", param=at)
    name = item.get("name")
    if not isinstance(name, str) or not VARIABLE_NAME.fullmatch(name):
        raise PromptTemplateError(f"{at}.name must be letters, digits and _ (not first), up to 64.", param=at)
    kind = item.get("type", "string")
    if kind not in VARIABLE_TYPES:
        raise PromptTemplateError(f"{at}.type must be one of {', '.join(VARIABLE_TYPES)}; got {kind!r}.", param=at)
    required = item.get("required", "default" not in item)
    if not isinstance(required, bool):
        raise PromptTemplateError(f"{at}.required must be a boolean.", param=at)
    description = item.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise PromptTemplateError(f"{at}.description must be a string of at most 1000 characters.", param=at)
    default = item.get("default")
    spec = VariableSpec(name, cast(VariableType, kind), required, None, description)
    if default is not None:
        copied = _json_copy(default, f"{at}.default")
        if len(orjson.dumps(copied)) > MAX_DEFAULT_BYTES:
            raise PromptTemplateError(f"{at}.default is larger than {MAX_DEFAULT_BYTES} bytes.", param=at)
        try:
            _value_text(spec, copied, "")
        except PromptVariableError:
            raise PromptTemplateError(f"{at}.default must be {_A[kind]}.", param=at) from None
        spec = VariableSpec(name, spec.type, required, copied, description)
    return spec
