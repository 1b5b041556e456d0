"""What other parts of Rungway may import from the prompt library: the pure template model and renderer.

The SDK renders prompts in applications with it, and other capabilities (evaluation, A/B tests) read
prompt content through it; none of them imports the library's store, service or server parts.
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
