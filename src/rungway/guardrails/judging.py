"""The gateway's judge door: a `JudgeClient` that asks a served model in process, with no network hop.

The `judge` detector names a model of `models:`; this resolves it as the gateway would (its first
deployment) and calls that deployment's provider directly, the body the gateway's own
`/v1/chat/completions` would send upstream. No HTTP to the server itself, so no internal key to mint, no
port to know and no second pass through auth, limits and filters (a judge call is never judged). The price:
a judge call is not a request of its own in the log or the usage tables; its verdict is recorded as the
call's guardrail hit (`judge.violation` or `judge.error`), and its tokens are the judge model's provider
bill (docs/guardrails.md says how to budget for it).
"""

from __future__ import annotations

from typing import Any

from rungway.gateway.routing import single_plan
from rungway.gateway.state import GatewayState
from rungway.providers.base import ChatCall

__all__ = ["JUDGE_MAX_TOKENS", "GatewayJudge", "JudgeUnavailable"]

JUDGE_MAX_TOKENS = 200  # a verdict is a score and one short reason


class JudgeUnavailable(LookupError):
    """The judge model is not served by this gateway (checked at start; kept for reloads)."""


class GatewayJudge:
    """One per server: reads the live `models:` and providers of the gateway state."""

    __slots__ = ("_state",)

    def __init__(self, state: GatewayState) -> None:
        self._state = state

    async def complete(
        self, model: str, messages: list[dict[str, str]], response_format: dict[str, Any], timeout_s: float
    ) -> str:
        route = self._state.config.models.get(model)
        if route is None:
            raise JudgeUnavailable(f"the judge model {model!r} is not served by this gateway")
        first = single_plan(route).deployments[0]
        provider = self._state.providers[first.provider]
        body: dict[str, Any] = {
            "model": first.upstream_model,
            "messages": messages,
            "response_format": response_format,
            "temperature": 0,
            "max_tokens": JUDGE_MAX_TOKENS,
        }
        result = await provider.chat(ChatCall(body, timeout_s=timeout_s))
        choices = result.data.get("choices") or [{}]
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        return content if isinstance(content, str) else ""
