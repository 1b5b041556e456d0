"""Bedrock's errors in our error tree: HTTP answers (`x-amzn-ErrorType`) and stream exceptions
(`:exception-type`), each mapped with the upstream's status kept (docs/providers.md has the table)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rungway.errors import RateLimited, RungwayError, UpstreamError, UpstreamRejected, UpstreamTimeout

MAX_ERROR_MESSAGE = 2_000


def error_type_of(headers: Mapping[str, str], data: Any) -> str:
    """The AWS error code: `x-amzn-ErrorType` (`Name:namespace`), else `__type` / `code` in the body."""
    raw = headers.get("x-amzn-ErrorType") or ""
    if not raw and isinstance(data, dict):
        value = data.get("__type") or data.get("code") or ""
        raw = value if isinstance(value, str) else ""
    name = raw.split(":", 1)[0].rsplit("#", 1)[-1].strip()
    return name[:100]


def error_message(data: Any, raw: bytes) -> str:
    if isinstance(data, dict):
        message = data.get("message") or data.get("Message")
        if isinstance(message, str) and message:
            return message[:MAX_ERROR_MESSAGE]
    text = raw[:MAX_ERROR_MESSAGE].decode("utf-8", "replace").strip()
    return text or "no message"


def error_for(
    provider: str, status: int, error_type: str, message: str, retry_after: float | None = None
) -> RungwayError:
    """Map a Bedrock error (HTTP answer or stream exception) to our error tree, the upstream's status kept."""
    kind = error_type[:1].upper() + error_type[1:]  # stream exceptions are camelCase: throttlingException
    text = f"{provider}: Bedrock answered {status} {kind or 'error'}: {message}"
    if kind == "ThrottlingException" or (status == 429 and kind != "ModelNotReadyException"):
        return RateLimited(text, retry_after=1.0 if retry_after is None else retry_after, code="upstream_rate_limited")
    if kind == "ModelTimeoutException" or status == 408:
        return UpstreamTimeout(text, upstream_status=status)
    if kind in ("AccessDeniedException", "UnrecognizedClientException") or status in (401, 403):
        return UpstreamError(text, code="upstream_auth_failed", upstream_status=status)
    if kind in ("ModelNotReadyException", "ModelErrorException", "ModelStreamErrorException") or status >= 500:
        code = "upstream_model_not_ready" if kind == "ModelNotReadyException" else "upstream_error"
        return UpstreamError(text, code=code, upstream_status=status)
    if 400 <= status < 500:
        return UpstreamRejected(message, status=status, error_type="invalid_request_error", code=kind or None)
    return UpstreamError(text, upstream_status=status)


STREAM_ERROR_STATUS = {
    "internalServerException": 500,
    "modelStreamErrorException": 424,
    "validationException": 400,
    "throttlingException": 429,
    "serviceUnavailableException": 503,
}
