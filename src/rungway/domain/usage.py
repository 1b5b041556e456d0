"""Token usage as a provider reports it, read defensively and bounded by what the call could produce.

An upstream's usage is input we do not control: a buggy or hostile one can report 10^17 tokens,
negative numbers or strings. Reading never fails (`token_count`), and `Usage.bounded` caps each
figure at what the call could have cost, so one bad answer cannot exhaust a budget for a month,
overflow a 64-bit column or break a sum over the request log. Either way the usage says it was
corrected (`anomaly`), for the record and the metrics.

Before the call, `prompt_tokens` sizes the prompt from the request body alone: about what it will
cost (rate-limit counters, corrected by the real usage afterwards) or the most it can cost (budget
holds, which must never be too small).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

MAX_TOKENS = 2**31 - 1  # no call's figure goes past this (signed 32-bit: fits every token column)
INVALID_COUNT = "not a whole number of tokens from 0 to 2^31-1"


def token_count(value: Any) -> tuple[int, bool]:
    """A reported token count as a non-negative int, and whether it was one (None and absent count as 0)."""
    if value is None:
        return 0, True
    if isinstance(value, bool):
        return 0, False
    if isinstance(value, int):
        if value < 0:
            return 0, False
        return (value, True) if value <= MAX_TOKENS else (MAX_TOKENS, False)
    if isinstance(value, float) and math.isfinite(value) and value >= 0:
        whole = min(int(value), MAX_TOKENS)
        return whole, whole == value
    return 0, False


PART_TOKENS_AT_MOST = 85  # a content part's framing beyond its text; a low-detail image's whole cost
# An image (or another non-text part) at its largest: OpenAI bills a high-detail image up to 1,445 tokens
# (768x2048 px: 8 tiles of 170 + 85) and Anthropic about 1,600 (1568 px on the long side). A hold smaller
# than the bill would let a hard budget be passed by the calls in flight.
IMAGE_TOKENS_AT_MOST = 1_600


def _part_tokens_at_most(part: dict[str, Any]) -> int:
    kind = part.get("type")
    if kind in (None, "text", "input_text"):
        return PART_TOKENS_AT_MOST
    image = part.get("image_url")
    if isinstance(image, dict) and image.get("detail") == "low":
        return PART_TOKENS_AT_MOST
    return IMAGE_TOKENS_AT_MOST


def prompt_tokens(body: dict[str, Any], *, at_most: bool = False) -> int:
    """Prompt tokens of a chat or embeddings request body, from the characters of its text.

    By default the likely count, about four characters a token. With `at_most`, an upper bound: a
    token covers at least one character, each text part may add `PART_TOKENS_AT_MOST` and each image or
    other non-text part `IMAGE_TOKENS_AT_MOST` (a low-detail image `PART_TOKENS_AT_MOST`), tool calls
    and tool definitions (and their deprecated forms, `function_call` and `functions`) count in full, a
    list of token ids counts its ids, and each message adds 4 (its framing) and the prompt 3."""
    chars = 0
    messages = body.get("messages") or ()
    for message in messages:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            parts = [p for p in content if isinstance(p, dict)]
            chars += sum(len(str(p.get("text", ""))) for p in parts)
            if at_most:
                chars += sum(_part_tokens_at_most(p) for p in parts)
        if at_most:
            chars += sum(len(str(call)) for call in message.get("tool_calls") or ())
            if message.get("function_call"):  # the deprecated form of tool_calls, still billed
                chars += len(str(message["function_call"]))
    if at_most:
        for definitions in ("tools", "functions"):  # `functions`: the deprecated form of `tools`, still billed
            if body.get(definitions):
                chars += len(str(body[definitions]))
    value = body.get("input")
    if isinstance(value, str):
        chars += len(value)
    elif isinstance(value, list):
        if at_most:  # strings by their characters, token-id lists by their ids, one id by itself
            chars += sum(len(v) if isinstance(v, str | list) else 1 for v in value)
        else:  # a token id or a list of them as one four-character token
            chars += sum(len(v) if isinstance(v, str) else 4 for v in value)
    return chars + 4 * len(messages) + 3 if at_most else chars // 4 + 1


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one call. `cached_input` is the part of `input` served from a prompt cache.

    `anomaly` is None for usage taken as reported; else what was wrong with the report (then the
    figures are the corrected ones)."""

    input: int = 0
    output: int = 0
    cached_input: int = 0
    anomaly: str | None = None

    @property
    def total(self) -> int:
        return self.input + self.output

    @classmethod
    def from_openai(cls, usage: dict[str, Any] | None) -> Usage | None:
        """Read an OpenAI `usage` object; None when the provider sent none."""
        if not usage:
            return None
        if not isinstance(usage, dict):
            return cls(anomaly="usage is not an object")
        details = usage.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else None
        return cls.reported(usage.get("prompt_tokens"), usage.get("completion_tokens"), cached)

    @classmethod
    def reported(cls, input_tokens: Any, output_tokens: Any, cached_input: Any = None) -> Usage:
        """Usage from three reported counts, each read with `token_count`."""
        (i, i_ok), (o, o_ok), (c, c_ok) = (
            token_count(input_tokens),
            token_count(output_tokens),
            token_count(cached_input),
        )
        if i_ok and o_ok and c_ok:
            return cls(i, o, c)
        return cls(i, o, c, INVALID_COUNT)

    def flagged(self, anomaly: str) -> Usage:
        """This usage marked as corrected (the first anomaly found is kept)."""
        return self if self.anomaly else replace(self, anomaly=anomaly)

    def bounded(self, max_input: int, max_output: int) -> Usage:
        """This usage with each figure capped at what the call could have used; marked when it was."""
        max_input, max_output = min(max_input, MAX_TOKENS), min(max_output, MAX_TOKENS)
        if self.input <= max_input and self.output <= max_output and self.cached_input <= self.input:
            return self
        problem = f"reported {self.input} in / {self.output} out, more than the call could use"
        if self.cached_input > self.input and self.input <= max_input and self.output <= max_output:
            problem = "more cached than input tokens"
        return replace(
            self,
            input=min(self.input, max_input),
            output=min(self.output, max_output),
            cached_input=min(self.cached_input, self.input, max_input),
            anomaly=self.anomaly or problem,
        )

    def to_openai(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.input,
            "completion_tokens": self.output,
            "total_tokens": self.total,
            "prompt_tokens_details": {"cached_tokens": self.cached_input, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
