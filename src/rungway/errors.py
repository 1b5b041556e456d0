"""One error hierarchy for Rungway, mapped to HTTP status and the OpenAI-style body in one place.

    RungwayError
    ├── ConfigError ............ bad configuration at start (names the file, key path and fix)
    ├── ClientError ............ the caller's mistake (4xx)
    │   ├── InvalidRequest ..... 400 invalid_request_error
    │   ├── AuthenticationFailed 401 authentication_error
    │   ├── PermissionDenied ... 403 permission_error
    │   ├── NotFound ........... 404 not_found_error
    │   ├── Conflict ........... 409 conflict_error
    │   ├── PayloadTooLarge .... 413 invalid_request_error
    │   └── RateLimited ........ 429 rate_limit_error (carries Retry-After)
    │       └── BudgetExceeded . 429 budget_exceeded
    ├── Overloaded ............. 503 overloaded_error (a bounded queue is full; carries Retry-After)
    │   └── NoHealthyDeployment  503 no_healthy_deployment (every deployment of the model is unavailable)
    ├── UpstreamRejected ....... the upstream's own 4xx, relayed with its status
    └── UpstreamError .......... 502 upstream_error (connection error, 5xx, bad answer)
        └── UpstreamTimeout .... 504 timeout_error

Anything else that escapes is a bug: the gateway answers 500 and logs the traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationFailed",
    "BudgetExceeded",
    "ClientError",
    "ConfigError",
    "Conflict",
    "InvalidRequest",
    "NoHealthyDeployment",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RungwayError",
    "UpstreamError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "error_body",
]


class RungwayError(Exception):
    """Base of every error Rungway raises on purpose."""

    status: int = 500
    error_type: str = "internal_error"
    default_code: str | None = None

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.param = param

    def headers(self) -> dict[str, str]:
        """Extra HTTP headers the answer carries (Retry-After for 429 and 503)."""
        return {}

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.error_type, self.code, self.param)


class ConfigError(RungwayError):
    """The configuration is wrong; the message names the file, the key path and the fix."""

    error_type = "config_error"


class ClientError(RungwayError):
    """The caller's mistake: a 4xx."""

    status = 400
    error_type = "invalid_request_error"


class InvalidRequest(ClientError):
    status = 400
    error_type = "invalid_request_error"


class AuthenticationFailed(ClientError):
    status = 401
    error_type = "authentication_error"
    default_code = "invalid_api_key"


class PermissionDenied(ClientError):
    status = 403
    error_type = "permission_error"
    default_code = "permission_denied"


class NotFound(ClientError):
    status = 404
    error_type = "not_found_error"
    default_code = "not_found"


class Conflict(ClientError):
    status = 409
    error_type = "conflict_error"
    default_code = "conflict"


class PayloadTooLarge(ClientError):
    status = 413
    error_type = "invalid_request_error"
    default_code = "payload_too_large"


class RateLimited(ClientError):
    """A rate limit was hit; `retry_after` seconds until a retry can succeed."""

    status = 429
    error_type = "rate_limit_error"
    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(retry_after, 0.0)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class BudgetExceeded(RateLimited):
    """A hard budget would be exceeded; names the budget and when it resets."""

    error_type = "budget_exceeded"
    default_code = "budget_exceeded"


class Overloaded(RungwayError):
    """A bounded queue is full: shed load rather than grow without bound."""

    status = 503
    error_type = "overloaded_error"
    default_code = "overloaded"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


class NoHealthyDeployment(Overloaded):
    """Every deployment a call could go to was skipped as unavailable (open circuits); names the model."""

    default_code = "no_healthy_deployment"


class UpstreamError(RungwayError):
    """The upstream provider failed: connection error, 5xx, or an answer we cannot read."""

    status = 502
    error_type = "upstream_error"
    default_code = "upstream_error"

    def __init__(self, message: str, *, code: str | None = None, upstream_status: int | None = None) -> None:
        super().__init__(message, code=code)
        self.upstream_status = upstream_status


class UpstreamRejected(RungwayError):
    """The upstream answered 4xx: relayed to the caller with the upstream's status and message."""

    error_type = "invalid_request_error"
    default_code = "upstream_rejected"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message, code=code, param=param)
        self.status = status
        if error_type:
            self.error_type = error_type


class UpstreamTimeout(UpstreamError):
    status = 504
    error_type = "timeout_error"
    default_code = "upstream_timeout"


def error_body(message: str, error_type: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """The OpenAI-style error body: {"error": {"message", "type", "param", "code"}}."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}
