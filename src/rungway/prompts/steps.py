"""The prompt library's pipeline step: a chat completion that names a registry prompt gets its messages.

    {"prompt": {"id": "support-answer", "label": "production", "variables": {"question": "..."}},
     "messages": [{"role": "user", "content": "and in French?"}]}

OpenAI's reusable-prompt shape (`id`, `version`, `variables`) plus `label`; with neither version nor
label the `production` label is used. The step runs between reading the body and checking it (a
`PipelineExtension.expand_body` step, after authentication), so the checked body is the expanded
one: the version's rendered messages come first, then any the call sent; the version's model and
parameters fill the fields the call left unset (the call wins); `prompt` itself never goes upstream.
The version is resolved from the in-memory catalog for the key's workload (its own prompt, else a
shared one: another workload's prompt is "not found", exactly like a missing one), so the step never
touches the store. The call's request-log row and llm span name the version (`ctx.prompt_name`,
`ctx.prompt_version`). Every field of the reference is checked here and a bad one is a 400 whose
`param` names it; a missing or mistyped variable is the renderer's 400, naming it and `name@version`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from rungway.capability import CallContext, GatewayState, PipelineExtension, Step
from rungway.errors import InvalidRequest, NotFound
from rungway.prompts.catalog import PromptCatalog
from rungway.prompts.template import LABEL_PATTERN, MAX_VARIABLES, NAME_PATTERN, render

__all__ = [
    "DEFAULT_LABEL",
    "MAX_VARIABLE_CHARS",
    "PromptReference",
    "expand_prompt_step",
    "parse_reference",
    "prompt_pipeline",
]

DEFAULT_LABEL = "production"
MAX_VARIABLE_CHARS = 1_048_576
"""A variable's value: at most this many characters of text (or bytes of JSON for an object or array)."""
_MAX_VERSION = 2**31 - 1
_FIELDS = ("id", "version", "label", "variables")


@dataclass(frozen=True, slots=True)
class PromptReference:
    """A call's `"prompt"` object, checked: which version of which prompt, and the values to render it with."""

    name: str
    version: int | None
    label: str | None
    variables: Mapping[str, object]


def _bad(message: str, param: str) -> InvalidRequest:
    return InvalidRequest(message, param=param, code="invalid_prompt_reference")


def _version(value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise _bad(f"'prompt.version' must be a version number such as \"3\"; got {value!r:.80}.", "prompt.version")
    if not 1 <= number <= _MAX_VERSION:
        raise _bad(f"'prompt.version' must be from 1 to {_MAX_VERSION}; got {number}.", "prompt.version")
    return number


def _variables(value: object) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad("'prompt.variables' must be an object of name: value.", "prompt.variables")
    if len(value) > MAX_VARIABLES:
        raise _bad(f"'prompt.variables' has {len(value)} entries; at most {MAX_VARIABLES}.", "prompt.variables")
    for name, item in value.items():
        if len(name) > 64:
            raise _bad(f"'prompt.variables' has a name of {len(name)} characters; at most 64.", "prompt.variables")
        if isinstance(item, str):
            size = len(item)
        elif isinstance(item, dict | list):
            size = len(orjson.dumps(item))
        else:
            continue  # numbers, booleans, null: bounded by nature; the renderer checks their type
        if size > MAX_VARIABLE_CHARS:
            raise _bad(
                f"prompt.variables.{name} is {size} characters; at most {MAX_VARIABLE_CHARS}.",
                f"prompt.variables.{name}",
            )
    return value


def parse_reference(raw: object) -> PromptReference:
    """The call's `prompt` object, every field checked (400 with `param` naming the bad one)."""
    if not isinstance(raw, dict):
        raise _bad('\'prompt\' must be an object such as {"id": "support-answer", "label": "production"}.', "prompt")
    for key in raw:
        if key not in _FIELDS:
            raise _bad(f"'prompt.{key:.64}' is not a field of a prompt reference; use {', '.join(_FIELDS)}.", "prompt")
    name = raw.get("id")
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise _bad(
            f"'prompt.id' must be a prompt name (letters, digits, '.', '_', '-'; up to 128); got {name!r:.140}.",
            "prompt.id",
        )
    version = raw.get("version")
    label = raw.get("label")
    if version is not None and label is not None:
        raise _bad("A prompt reference names a version or a label, not both.", "prompt.label")
    if label is not None and (not isinstance(label, str) or LABEL_PATTERN.fullmatch(label) is None):
        raise _bad(
            f"'prompt.label' must be a label (lower-case letters, digits, '.', '_', '-'; up to 64); got {label!r:.80}.",
            "prompt.label",
        )
    return PromptReference(
        name,
        _version(version) if version is not None else None,
        label if version is not None or label is not None else DEFAULT_LABEL,
        _variables(raw.get("variables")),
    )


def _not_found(catalog: PromptCatalog, workload: str, ref: PromptReference) -> InvalidRequest | NotFound:
    """Why a reference resolved to nothing: no such prompt here (404), or no such version or label (404/400)."""
    if catalog.resolve(workload, ref.name, label="latest") is None:
        return NotFound(
            f"No prompt named {ref.name!r} in workload {workload!r} or shared. "
            "Fix: check the name (`rungway prompts list`) or create it (`rungway prompts create`).",
            param="prompt.id",
            code="prompt_not_found",
        )
    if ref.version is not None:
        return NotFound(
            f"Prompt {ref.name!r} has no version {ref.version}. Fix: see `rungway prompts history {ref.name}`.",
            param="prompt.version",
            code="prompt_version_not_found",
        )
    return InvalidRequest(
        f"Prompt {ref.name!r} has no label {ref.label!r}. Fix: name a version or another label, or point the "
        f"label at a version (`rungway prompts label {ref.name} {ref.label} VERSION`).",
        param="prompt.label",
        code="prompt_label_not_found",
    )


def expand_prompt_step(catalog: PromptCatalog) -> Step:
    """The `expand_body` step, bound to the server's catalog."""

    async def expand_prompt(state: GatewayState, ctx: CallContext) -> None:
        body: dict[str, Any] = ctx.body
        if "prompt" not in body:
            return
        raw = body.pop("prompt")
        if raw is None:
            return
        ref = parse_reference(raw)
        workload = ctx.key.workload if ctx.key is not None else ""
        found = catalog.resolve(workload, ref.name, version=ref.version, label=ref.label)
        if found is None:
            raise _not_found(catalog, workload, ref)
        # Named before rendering: a call refused for a missing variable counts against the version it used.
        ctx.prompt_name = found.name
        ctx.prompt_version = found.version
        rendered = render(found.content, ref.variables, ref=found.ref)
        if body.get("model") is None and rendered.model is not None:
            body["model"] = rendered.model
        for name, value in rendered.parameters.items():
            if body.get(name) is None:
                body[name] = value
        sent = body.get("messages")
        if sent is None:
            body["messages"] = rendered.messages
        elif isinstance(sent, list):
            body["messages"] = [*rendered.messages, *sent]
        # else: not an array, which the body check that runs next refuses, naming `messages`

    return expand_prompt


def prompt_pipeline(catalog: PromptCatalog) -> PipelineExtension:
    """What `install` adds to the pipeline: the expansion of a `prompt` reference, before the body is checked."""
    return PipelineExtension("prompts", expand_body=[expand_prompt_step(catalog)])
