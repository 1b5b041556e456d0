"""What other parts of Rungway may import from the prompt library: the pure template model and renderer.

The SDK renders prompts in applications with it, and other capabilities (evaluation, A/B tests) read
prompt content through it; none of them imports the library's store, service or server parts.
A capability that reacts to prompt changes (evaluation runs a new version's bound datasets, and may refuse a
label move) registers on the server's `PromptHooks` (`state.slots[PROMPT_HOOKS]`) from its own install.
"""

from __future__ import annotations

from rungway.prompts.hooks import (
    PROMPT_HOOKS,
    LabelGuard,
    LabelMoveCheck,
    PromptHooks,
    VersionCreatedEvent,
    VersionListener,
    hooks_of,
)
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
    "PROMPT_HOOKS",
    "JsonValue",
    "LabelGuard",
    "LabelMoveCheck",
    "PromptContent",
    "PromptHooks",
    "PromptParameters",
    "PromptTemplateError",
    "PromptVariableError",
    "RenderedPrompt",
    "TemplateMessage",
    "VariableSpec",
    "VersionCreatedEvent",
    "VersionListener",
    "hooks_of",
    "placeholders",
    "render",
]
