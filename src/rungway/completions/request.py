"""A legacy completions request read into a chat-completions body (what the chat checks then see).

A prompt is one user message. What the chat API cannot serve honestly is refused with a 400 naming the
field, never silently dropped: `logprobs`, `best_of` above `n`, `suffix`, token-id prompts, and a batch
of several prompts (each prompt would be a separate chat call with its own usage; send one per call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rungway.errors import InvalidRequest

__all__ = ["DEFAULT_MAX_TOKENS", "CompletionRequest", "read_completion_request"]

DEFAULT_MAX_TOKENS = 16  # OpenAI's default for /v1/completions (chat has none)

# Sampling fields the chat API takes under the same name and meaning; their values are the upstream's to judge.
_PASSED = ("temperature", "top_p", "n", "stop", "presence_penalty", "frequency_penalty", "seed", "user")
_KNOWN = frozenset(
    {*_PASSED, "model", "prompt", "suffix", "max_tokens", "logprobs", "echo", "best_of", "stream", "stream_options"}
)
# Fields of the completions API with no chat equivalent: accepted, not forwarded (documented in docs/apis.md).
_IGNORED = frozenset({"logit_bias", "metadata"})


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What the answer needs from the request: the prompt to echo (or None)."""

    echo_prompt: str | None


def _prompt(body: dict[str, Any]) -> str:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if isinstance(prompt, list):
        if prompt and all(isinstance(item, (int, list)) for item in prompt):
            raise InvalidRequest(
                "'prompt' as token ids is not supported: the gateway serves any model, so send the text.",
                param="prompt",
                code="unsupported_prompt",
            )
        raise InvalidRequest(
            f"'prompt' holds {len(prompt)} prompts; send one prompt per call (a string, or an array of one string).",
            param="prompt",
            code="unsupported_prompt",
        )
    if not isinstance(prompt, str) or not prompt:
        raise InvalidRequest("'prompt' is required and must be a non-empty string.", param="prompt")
    return prompt


def _refuse_unservable(body: dict[str, Any]) -> None:
    if body.get("suffix") not in (None, ""):
        raise InvalidRequest(
            "'suffix' (insertion) is not supported by the gateway's completions endpoint.",
            param="suffix",
            code="unsupported_parameter",
        )
    if body.get("logprobs") is not None:
        raise InvalidRequest(
            "'logprobs' is not supported by the gateway's completions endpoint; leave it null.",
            param="logprobs",
            code="unsupported_parameter",
        )
    best_of = body.get("best_of")
    if best_of is not None:
        n = body.get("n", 1)
        if isinstance(best_of, bool) or not isinstance(best_of, int) or best_of < 1:
            raise InvalidRequest(f"'best_of' must be a whole number of at least 1; got {best_of!r}.", param="best_of")
        if best_of != (n if isinstance(n, int) else 1):
            raise InvalidRequest(
                "'best_of' other than 'n' is not supported (it needs log probabilities); leave it out or equal to 'n'.",
                param="best_of",
                code="unsupported_parameter",
            )


def read_completion_request(body: dict[str, Any]) -> tuple[dict[str, Any], CompletionRequest]:
    """The chat body for `body` and what the answer needs; a 400 naming the field for what cannot be served."""
    unknown = sorted(k for k in body if k not in _KNOWN and k not in _IGNORED)
    if unknown:
        raise InvalidRequest(f"Unrecognized request argument supplied: {unknown[0]}.", param=unknown[0])
    prompt = _prompt(body)
    _refuse_unservable(body)
    echo = body.get("echo", False)
    if not isinstance(echo, bool):
        raise InvalidRequest("'echo' must be a boolean.", param="echo")
    chat: dict[str, Any] = {"model": body.get("model"), "messages": [{"role": "user", "content": prompt}]}
    for name in _PASSED:
        value = body.get(name)
        if value is not None:
            chat[name] = value
    max_tokens = body.get("max_tokens", DEFAULT_MAX_TOKENS)
    if max_tokens is not None:  # null: no cap, as OpenAI reads it
        chat["max_tokens"] = max_tokens
    if "stream" in body:
        chat["stream"] = body["stream"]
    if "stream_options" in body:
        chat["stream_options"] = body["stream_options"]
    return chat, CompletionRequest(prompt if echo else None)
