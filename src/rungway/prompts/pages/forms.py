"""The prompt pages' forms read at the edge: every field bounded, the content typed as YAML or JSON.

A person writes a new version in a textarea, as YAML or JSON of the API's body fields (`messages`,
`variables`, `model`, `parameters`), or just the list of messages. It is parsed here, then checked by
`PromptContent.from_json` exactly as `POST /api/prompts` checks its body, so the page and the API refuse
the same content with the same message. YAML aliases are refused (an alias can expand a small text
into a huge value); errors name the line. `content_text` writes a version back as YAML (block style,
multi-line text as `|` blocks) to start the next version from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import yaml

from rungway.errors import InvalidRequest
from rungway.prompts.template import MAX_TEMPLATE_CHARS, PromptContent, PromptTemplateError

__all__ = ["CONTENT_MAX_CHARS", "content_from_text", "content_text", "form_fields"]

CONTENT_MAX_CHARS = MAX_TEMPLATE_CHARS + 65_536
"""The textarea's bound: the template's own limit plus room for the YAML around it."""


def form_fields(form: Mapping[str, Any], fields: Mapping[str, int]) -> dict[str, str]:
    """The form's fields, trimmed, each at most its length; an unknown field or a file is a 400."""
    unknown = sorted(set(form) - set(fields) - {"csrf_token"})
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]!r}", param=unknown[0])
    values: dict[str, str] = {}
    for name, longest in fields.items():
        value = form.get(name, "")
        if not isinstance(value, str) or len(value) > longest:
            raise InvalidRequest(f"{name} must be text of at most {longest:,} characters", param=name)
        values[name] = value.strip() if name != "content" else value
    return values


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: `*name` is refused where it appears."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # PyYAML leaves it untyped
            raise yaml.MarkedYAMLError(
                None, None, "aliases (*name) are not accepted in a prompt; write the value out", event.start_mark
            )
        return super().compose_node(parent, index)


def _parse(text: str) -> object:
    if text.lstrip().startswith(("{", "[")):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(
                f"content: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}", param="content"
            ) from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InvalidRequest(f"content: not valid YAML{where}: {exc.problem or exc.context}", param="content") from None
    except yaml.YAMLError as exc:
        raise InvalidRequest(f"content: not valid YAML: {exc}", param="content") from None


def content_from_text(text: str) -> PromptContent:
    """The textarea's YAML or JSON (an object of messages, variables, model, parameters, or a list of
    messages) as checked content; a mistake is a 400 naming the line or the field."""
    if not text.strip():
        raise InvalidRequest("content is required: the messages as YAML or JSON", param="content")
    if len(text) > CONTENT_MAX_CHARS:
        raise InvalidRequest(f"content is longer than {CONTENT_MAX_CHARS:,} characters", param="content")
    raw = _parse(text)
    if isinstance(raw, list):
        raw = {"messages": raw}
    if not isinstance(raw, dict):
        raise PromptTemplateError(
            "content must be an object with `messages` (and optionally variables, model, parameters), "
            "or a list of messages.",
            param="content",
        )
    return PromptContent.from_json(raw, where="content")


class _BlockDumper(yaml.SafeDumper):
    """Block style; text with line breaks as `|` blocks, so a template reads as it will be sent."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not any(ch in value for ch in "\r\t") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def content_text(content: PromptContent) -> str:
    """A version's content as the YAML the create form takes (empty fields left out)."""
    body = content.to_json()
    kept = {key: value for key, value in body.items() if value not in (None, {}, [])}
    return yaml.dump(
        kept, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
