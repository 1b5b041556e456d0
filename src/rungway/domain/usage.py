"""Token usage as a provider reports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one call. `cached_input` is the part of `input` served from a prompt cache."""

    input: int = 0
    output: int = 0
    cached_input: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output

    @classmethod
    def from_openai(cls, usage: dict[str, Any] | None) -> Usage | None:
        """Read an OpenAI `usage` object; None when the provider sent none."""
        if not usage:
            return None
        details = usage.get("prompt_tokens_details") or {}
        return cls(
            input=int(usage.get("prompt_tokens") or 0),
            output=int(usage.get("completion_tokens") or 0),
            cached_input=int(details.get("cached_tokens") or 0),
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
