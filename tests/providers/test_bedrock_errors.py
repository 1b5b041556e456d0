"""Bedrock errors (HTTP answers and stream exceptions) mapped to our error tree."""

from __future__ import annotations

import orjson

from rungway.errors import RateLimited, UpstreamError, UpstreamRejected, UpstreamTimeout
from rungway.providers.bedrock_errors import error_for, error_message, error_type_of


def test_error_mapping_keeps_the_upstream_status() -> None:
    throttled = error_for("up", 429, "ThrottlingException", "slow down", 3.0)
    assert isinstance(throttled, RateLimited) and throttled.retry_after == 3.0
    rejected = error_for("up", 400, "ValidationException", "bad model id")
    assert isinstance(rejected, UpstreamRejected) and rejected.status == 400 and rejected.message == "bad model id"
    not_ready = error_for("up", 429, "ModelNotReadyException", "warming up")
    assert isinstance(not_ready, UpstreamError) and not_ready.status == 502 and not_ready.upstream_status == 429
    unavailable = error_for("up", 503, "serviceUnavailableException", "down")
    assert isinstance(unavailable, UpstreamError) and unavailable.upstream_status == 503
    assert isinstance(error_for("up", 408, "ModelTimeoutException", "late"), UpstreamTimeout)
    denied = error_for("up", 403, "AccessDeniedException", "no")
    assert isinstance(denied, UpstreamError) and denied.code == "upstream_auth_failed"
    missing = error_for("up", 404, "ResourceNotFoundException", "no such model")
    assert isinstance(missing, UpstreamRejected) and missing.status == 404


def test_error_type_from_header_or_body() -> None:
    assert error_type_of({"x-amzn-ErrorType": "ValidationException:http://internal/"}, None) == "ValidationException"
    assert error_type_of({}, {"__type": "com.amazon.coral#ThrottlingException"}) == "ThrottlingException"
    assert error_type_of({}, orjson.loads(b'{"message": "x"}')) == ""


def test_error_message_is_bounded_and_falls_back_to_the_body() -> None:
    assert error_message({"message": "x" * 5000}, b"") == "x" * 2000
    assert error_message(None, b"<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"
    assert error_message([], b"") == "no message"
