"""Call contexts as the gateway builds them before routing (authenticated, attributed), for chooser tests."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import make_mocked_request

from rungway.domain.keys import ApiKey
from rungway.gateway.context import CallContext


def call_context(body: dict[str, Any], workload: str | None, *, user: str | None = None,
                 tags: dict[str, str] | None = None) -> CallContext:  # fmt: skip
    ctx = CallContext(make_mocked_request("POST", "/v1/chat/completions"), "chat.completions", "req_test", body=body)
    if workload is not None:
        ctx.key = ApiKey("key_1", "rw_1", "h", "app", workload)
    ctx.model_requested = str(body.get("model"))
    ctx.user = user
    ctx.tags = tags or {}
    return ctx
