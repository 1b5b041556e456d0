"""What other parts of Rungway may import from the prompt library: the pure template model and renderer.

The SDK renders prompts in applications with it, and other capabilities (evaluation, A/B tests) read
prompt content through it; none of them imports the library's store, service or server parts.
Server-side capabilities that react to prompt changes (evaluation runs a new version's bound datasets and may
refuse a label move) register on the prompt library's other door, `rungway.prompts.hooks`: it needs the
server's state and a database connection, which this module (imported by the SDK in applications) must not.
"""

from __future__ import annotations

from rungway.prompts.template import (
    LABEL_PATTERN,
    NAME_PATTERN,
    JsonValue,
    PromptContent,
    PromptParameters,
    PromptTemplateError,
    PromptVariableError,
    RenderedPrompt,
    TemplateMessage,
    VariableSpec,
    placeholders,
    render,
)

__all__ = [
    "LABEL_PATTERN",
    "NAME_PATTERN",
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
