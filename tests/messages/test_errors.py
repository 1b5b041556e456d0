"""Rungway's errors in Anthropic's shape: the type by status, Retry-After kept."""

from __future__ import annotations

import json

from rungway.errors import BudgetExceeded, NoHealthyDeployment, PayloadTooLarge
from rungway.messages.errors import error_response, error_type


def test_rungway_errors_take_anthropics_types_and_keep_retry_after() -> None:
    assert [error_type(s) for s in (400, 409, 413, 422, 502, 504, 529)] == [
        "invalid_request_error", "invalid_request_error", "request_too_large", "invalid_request_error",
        "api_error", "api_error", "overloaded_error",
    ]  # fmt: skip
    budget = error_response(BudgetExceeded("over budget", retry_after=30))
    assert budget.status == 429 and budget.headers["Retry-After"] == "30"
    assert json.loads(budget.body) == {"type": "error", "error": {"type": "rate_limit_error", "message": "over budget"}}  # type: ignore[arg-type]
    assert json.loads(error_response(NoHealthyDeployment("none")).body)["error"]["type"] == "overloaded_error"  # type: ignore[arg-type]
    assert error_response(PayloadTooLarge("big")).status == 413
