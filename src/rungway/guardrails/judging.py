"""The gateway's judge door: a `JudgeClient` that asks a served model in process, with no network hop.

The `judge` detector names a model of `models:`; this resolves it as the gateway would (its first
deployment) and calls that deployment's provider directly, the body the gateway's own
`/v1/chat/completions` would send upstream. No HTTP to the server itself, so no internal key to mint, no
port to know and no second pass through auth, limits and filters (a judge call is never judged). A judge
call is not a request of its own in the log; its verdict is recorded as the call's guardrail hit
(`judge.violation` or `judge.error`), and its tokens, priced at the judge model's price, are added to the
cost of the call it judged (`CallContext.side_cost_nano`, which the metering step adds in), so the
workload's budgets and cost reports carry them.
"""

from __future__ import annotations

from typing import Any

from rungway.gateway.context import CallContext
from rungway.gateway.routing import single_plan
from rungway.gateway.state import GatewayState
from rungway.guardrails.detectors.base import ScanContext
from rungway.providers.base import ChatCall

__all__ = ["JUDGE_MAX_TOKENS", "GatewayJudge", "JudgeUnavailable", "scan_context_for"]

JUDGE_MAX_TOKENS = 200  # a verdict is a score and one short reason


class JudgeUnavailable(LookupError):
    """The judge model is not served by this gateway (checked at start; kept for reloads)."""


class GatewayJudge:
    """One per server: reads the live `models:` and providers of the gateway state."""

    __slots__ = ("_call", "_state")

    def __init__(self, state: GatewayState, call: CallContext | None = None) -> None:
        self._state = state
        self._call = call

    def bound(self, call: CallContext) -> GatewayJudge:
        """This judge for one gateway call: what its calls cost is added to that call's cost."""
        return GatewayJudge(self._state, call)

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
        if self._call is not None and result.usage is not None:
            price = self._state.prices.get(route.name)
            if price is not None:
                self._call.side_cost_nano += price.cost_nano(result.usage)
        choices = result.data.get("choices") or [{}]
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        return content if isinstance(content, str) else ""


def scan_context_for(base: ScanContext | None, call: CallContext) -> ScanContext:
    """The scan context of one gateway call: the server's, with its gateway judge bound to the call."""
    if base is None:
        return ScanContext()
    if isinstance(base.judge, GatewayJudge):
        return ScanContext(judge=base.judge.bound(call))
    return base
