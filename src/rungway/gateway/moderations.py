"""Step: call the provider's moderation and answer the client (`POST /v1/moderations`).

Moderation is an optional provider capability (`providers.base.Moderator`): a provider without it is a
400 `moderation_not_supported` naming it, before any try. The call goes through the plan's tries like
embeddings. OpenAI's moderation reports no usage; the input's estimated tokens are the call's usage, so a
moderation model with a price in `models:` is metered and one without is free.
"""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import web

from rungway.domain.usage import Usage, prompt_tokens
from rungway.errors import InvalidRequest
from rungway.gateway.attempts import try_plan
from rungway.gateway.context import CallContext
from rungway.gateway.responses import answer_headers, raw_json_response
from rungway.gateway.state import GatewayState
from rungway.gateway.upstream import upstream_headers
from rungway.providers.base import ModerateCall, ModerateResult, moderator_of

__all__ = ["call_moderations"]


async def call_moderations(state: GatewayState, ctx: CallContext) -> web.StreamResponse:
    if ctx.plan is not None:
        for deployment in ctx.plan.deployments:
            if moderator_of(state.providers.get(deployment.provider)) is None:
                raise InvalidRequest(
                    f"The model `{ctx.model_requested}` goes to provider `{deployment.provider}`, which cannot "
                    "moderate; use a model served by an openai or simulator provider.",
                    param="model",
                    code="moderation_not_supported",
                )
    headers = upstream_headers(ctx)

    def send(timeout: float | None) -> Awaitable[ModerateResult]:
        moderator = moderator_of(ctx.provider)
        assert moderator is not None  # every deployment of the plan was checked above
        if timeout is None:
            return moderator.moderate(ModerateCall(ctx.body, headers=headers))
        return moderator.moderate(ModerateCall(ctx.body, headers=headers, timeout_s=timeout))

    result = await try_plan(state, ctx, send)
    ctx.usage = Usage(input=prompt_tokens(ctx.body))
    return raw_json_response(result.body, headers=answer_headers(ctx))
