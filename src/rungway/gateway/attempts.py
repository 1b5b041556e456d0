"""The call step's executor: try a call's `RoutePlan` deployment by deployment under its `AttemptPolicy`.

Before each try every `AttemptObserver` may refuse the deployment (an open circuit): it is recorded as
`skipped` and nothing is sent. A try's failure is classified (`Attempt.outcome`): `timeout`, `connect`
and `5xx` are retried on the same deployment up to `policy.retries` times after an exponential backoff
with full jitter, `429` after the upstream's Retry-After (beyond `retry_after_max_s` the next deployment
is tried at once); `4xx` is the caller's fault and ends the call as it is, on any deployment; the client
leaving ends it too (`cancelled`). Then the next deployment. `attempt_timeout_s` bounds one try (a
stream's until its first chunk: once a chunk was relayed the stream cannot move), `total_timeout_s` all
of them. Every observer hears every try. The answer is the first success, else the last try's error,
else (every deployment skipped) 503 `no_healthy_deployment`.

A plan of one deployment, no retries, no deadlines and no observers costs one `Attempt` and a loop
pass over today's single call (bench/gateway/attempts_step.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from rungway.errors import (
    NoHealthyDeployment,
    RateLimited,
    RungwayError,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
)
from rungway.gateway.context import CallContext
from rungway.gateway.routing import Attempt, AttemptPolicy
from rungway.gateway.state import GatewayState
from rungway.providers.base import ChatCall, StreamChunk
from rungway.settings.config import ModelRoute

__all__ = ["MIN_TRY_S", "RETRYABLE", "Send", "classify", "end_stream", "open_stream", "retry_wait", "try_plan"]

T = TypeVar("T")
Send = Callable[[float | None], Awaitable[T]]
"""One try of the call on the deployment now in `ctx` (`ctx.route`, `ctx.provider`, `ctx.body["model"]`),
given the seconds it may take (None: the provider's own timeout)."""

RETRYABLE = frozenset({"timeout", "connect", "5xx", "429"})
MIN_TRY_S = 0.01
"""Less than this left of the total deadline is no time for a try (timers may also fire a little early)."""
_ERROR_CHARS = 500


def classify(error: RungwayError) -> tuple[str, int | None]:
    """The outcome of a try that raised `error`, and the upstream's status when one answered."""
    if isinstance(error, UpstreamTimeout):
        return "timeout", None
    if isinstance(error, RateLimited):
        return "429", 429
    if isinstance(error, UpstreamError):
        status = error.upstream_status
        return ("connect", None) if status is None else ("5xx", status)
    if isinstance(error, UpstreamRejected):
        return "4xx", error.status
    return "4xx", error.status  # an adapter's own refusal of the body (the simulator's validation)


async def try_plan(state: GatewayState, ctx: CallContext, send: Send[T], *, keep_open: bool = False) -> T:
    """The first try that succeeds, or the error that ends the call. With `keep_open` (a stream) the
    successful try is left for `end_stream` to tell the observers, once the stream ends."""
    plan = ctx.plan
    assert plan is not None, "resolve_route sets the plan"
    policy = plan.policy
    observers = state.attempt_observers
    started = time.perf_counter()
    deadline = None if policy.total_timeout_s is None else started + policy.total_timeout_s
    error: RungwayError | None = None
    try:
        for deployment in plan.deployments:
            if observers and not _admitted(state, deployment.name):
                _skip(state, ctx, deployment)
                continue
            _use(state, ctx, deployment)
            retry = 0
            while True:
                timeout = _try_timeout(policy, deadline)
                if timeout is not None and timeout < MIN_TRY_S:
                    if error is not None:
                        break
                    timeout = MIN_TRY_S  # the call's first try always goes
                attempt = Attempt(deployment, len(ctx.attempts), time.perf_counter())
                ctx.attempts.append(attempt)
                try:
                    if timeout is None:
                        result = await send(None)
                    else:
                        async with asyncio.timeout(timeout):
                            result = await send(timeout)
                except TimeoutError:
                    within = "in time" if timeout is None else f"within {timeout:g}s"
                    error = UpstreamTimeout(f"{deployment.name}: no answer from the upstream {within}")
                    _failed(state, ctx, attempt, error)
                except RungwayError as exc:
                    error = exc
                    _failed(state, ctx, attempt, error)
                    if attempt.outcome == "4xx":
                        raise
                except asyncio.CancelledError:
                    attempt.latency_ms = (time.perf_counter() - attempt.started) * 1000
                    attempt.outcome = "cancelled"
                    _done(state, ctx, attempt)
                    raise
                else:
                    attempt.latency_ms = (time.perf_counter() - attempt.started) * 1000
                    if not keep_open:
                        _done(state, ctx, attempt)
                    return result
                wait = retry_wait(policy, attempt, retry, error, deadline)
                if wait is None:
                    break
                retry += 1
                if wait > 0:
                    await asyncio.sleep(wait)
            if deadline is not None and time.perf_counter() + MIN_TRY_S > deadline:
                break
    finally:
        ctx.upstream_ms = (time.perf_counter() - started) * 1000
    if error is None:
        raise NoHealthyDeployment(
            f"No deployment of the model `{plan.model}` is available right now"
            f" ({', '.join(d.name for d in plan.deployments)}: every one was skipped as unhealthy); retry later."
        )
    raise error


Opened = tuple[AsyncIterator[StreamChunk], StreamChunk]


async def open_stream(state: GatewayState, ctx: CallContext, call: ChatCall) -> Opened:
    """A stream's first chunk from the first deployment that sends one; a try ends at that chunk."""

    async def send(timeout: float | None) -> Opened:
        assert ctx.provider is not None
        chunks = ctx.provider.chat_stream(call).__aiter__()
        try:
            return chunks, await chunks.__anext__()
        except StopAsyncIteration:
            raise UpstreamError("The upstream closed the stream without sending anything.") from None
        except BaseException:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            raise

    return await try_plan(state, ctx, send, keep_open=True)


def end_stream(state: GatewayState, ctx: CallContext) -> None:
    """The stream that sent its first chunk ended: tell the observers how (a break after the first chunk is
    the deployment's failure though the call could not move; a client gone is `cancelled`)."""
    if not ctx.attempts:
        return
    attempt = ctx.attempts[-1]
    if not attempt.ok:
        return
    if ctx.client_closed:
        attempt.outcome = "cancelled"
    elif ctx.error is not None:
        attempt.outcome, attempt.upstream_status = classify(ctx.error)
        attempt.error = ctx.error.message[:_ERROR_CHARS]
    _done(state, ctx, attempt)


def _use(state: GatewayState, ctx: CallContext, deployment: ModelRoute) -> None:
    if ctx.route is not deployment:
        ctx.route = deployment
        ctx.provider = state.providers[deployment.provider]
        ctx.body["model"] = deployment.upstream_model


def _admitted(state: GatewayState, name: str) -> bool:
    now = time.time()
    return all(observer.admit(name, now) for observer in state.attempt_observers)


def _skip(state: GatewayState, ctx: CallContext, deployment: ModelRoute) -> None:
    attempt = Attempt(deployment, len(ctx.attempts), time.perf_counter(), outcome="skipped")
    ctx.attempts.append(attempt)
    _done(state, ctx, attempt)


def _failed(state: GatewayState, ctx: CallContext, attempt: Attempt, error: RungwayError) -> None:
    attempt.latency_ms = (time.perf_counter() - attempt.started) * 1000
    attempt.outcome, attempt.upstream_status = classify(error)
    attempt.error = error.message[:_ERROR_CHARS]
    if isinstance(error, RateLimited):
        attempt.retry_after_s = error.retry_after
    _done(state, ctx, attempt)


def _done(state: GatewayState, ctx: CallContext, attempt: Attempt) -> None:
    for observer in state.attempt_observers:
        observer.finished(ctx, attempt)


def _try_timeout(policy: AttemptPolicy, deadline: float | None) -> float | None:
    """Seconds the next try may take: the attempt deadline, cut to what the total deadline leaves."""
    if deadline is None:
        return policy.attempt_timeout_s
    left = deadline - time.perf_counter()
    return left if policy.attempt_timeout_s is None else min(left, policy.attempt_timeout_s)


def retry_wait(
    policy: AttemptPolicy, attempt: Attempt, retry: int, error: RungwayError | None, deadline: float | None
) -> float | None:
    """Seconds to wait before trying the same deployment again, or None to move on to the next one."""
    if retry >= policy.retries or attempt.outcome not in RETRYABLE:
        return None
    status = attempt.upstream_status
    if attempt.outcome == "5xx" and status is not None and status < 500:
        return None  # the gateway's credentials (401/403) or a redirect: the same again cannot help
    if isinstance(error, RateLimited):
        if error.retry_after > policy.retry_after_max_s:
            return None
        wait = error.retry_after
    else:
        wait = random.uniform(0, min(policy.backoff_max_s, policy.backoff_base_s * 2**retry))
    if deadline is not None and time.perf_counter() + wait + MIN_TRY_S > deadline:
        return None
    return wait
