"""The error hierarchy (`errors.py`): each error's HTTP status, OpenAI-style body and headers."""

from __future__ import annotations

import pytest

from rungway.errors import (
    AuthenticationFailed,
    BudgetExceeded,
    ClientError,
    ConfigError,
    Conflict,
    InvalidRequest,
    NotFound,
    Overloaded,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RungwayError,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
    error_body,
)


@pytest.mark.parametrize(
    ("error", "status", "error_type", "code"),
    [
        (InvalidRequest("bad"), 400, "invalid_request_error", None),
        (AuthenticationFailed("who"), 401, "authentication_error", "invalid_api_key"),
        (PermissionDenied("no"), 403, "permission_error", "permission_denied"),
        (NotFound("gone"), 404, "not_found_error", "not_found"),
        (Conflict("twice"), 409, "conflict_error", "conflict"),
        (PayloadTooLarge("big"), 413, "invalid_request_error", "payload_too_large"),
        (RateLimited("slow", retry_after=1), 429, "rate_limit_error", "rate_limit_exceeded"),
        (BudgetExceeded("spent", retry_after=1), 429, "budget_exceeded", "budget_exceeded"),
        (Overloaded("full"), 503, "overloaded_error", "overloaded"),
        (UpstreamError("down"), 502, "upstream_error", "upstream_error"),
        (UpstreamTimeout("slow"), 504, "timeout_error", "upstream_timeout"),
        (ConfigError("wrong"), 500, "config_error", None),
    ],
)
def test_each_error_has_its_status_type_and_code(
    error: RungwayError, status: int, error_type: str, code: str | None
) -> None:
    assert error.status == status
    assert error.body() == {"error": {"message": error.message, "type": error_type, "param": None, "code": code}}


def test_client_errors_are_the_4xx_ones() -> None:
    assert issubclass(BudgetExceeded, RateLimited) and issubclass(RateLimited, ClientError)
    assert not issubclass(Overloaded, ClientError) and not issubclass(UpstreamError, ClientError)


def test_a_code_and_param_given_replace_the_defaults() -> None:
    error = InvalidRequest("limit must be a whole number", param="limit", code="bad_limit")
    assert error.body()["error"] == {
        "message": "limit must be a whole number",
        "type": "invalid_request_error",
        "param": "limit",
        "code": "bad_limit",
    }
    assert str(error) == "limit must be a whole number"


@pytest.mark.parametrize(("retry_after", "header"), [(0.0, "1"), (0.2, "1"), (1.0, "1"), (1.01, "2"), (80.0, "80")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(retry_after: float, header: str) -> None:
    assert RateLimited("x", retry_after=retry_after).headers() == {"Retry-After": header}
    assert Overloaded("x", retry_after=retry_after).headers() == {"Retry-After": header}


def test_a_negative_retry_after_counts_as_none() -> None:
    assert RateLimited("x", retry_after=-5).retry_after == 0.0


def test_errors_other_than_429_and_503_carry_no_headers() -> None:
    assert InvalidRequest("x").headers() == {} and UpstreamError("x").headers() == {}


def test_an_upstream_rejection_is_relayed_with_the_upstreams_status_and_type() -> None:
    error = UpstreamRejected("model not found", status=404, error_type="not_found_error", code="model_not_found")
    assert error.status == 404
    assert error.body()["error"] == {
        "message": "model not found",
        "type": "not_found_error",
        "param": None,
        "code": "model_not_found",
    }
    assert UpstreamRejected("bad", status=422).body()["error"]["type"] == "invalid_request_error"
    assert UpstreamRejected("bad", status=422).code == "upstream_rejected"


def test_the_upstream_status_is_kept_on_an_upstream_error() -> None:
    assert UpstreamError("503 from upstream", upstream_status=503).upstream_status == 503


def test_error_body_is_the_openai_shape() -> None:
    assert error_body("m", "t") == {"error": {"message": "m", "type": "t", "param": None, "code": None}}
