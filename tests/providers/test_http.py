"""The shared HTTP pieces: Retry-After and the mapping of upstream error answers."""

from __future__ import annotations

import email.utils
import time

import pytest

from rungway.errors import RateLimited, UpstreamError, UpstreamRejected
from rungway.providers.http import retry_after_seconds, upstream_failure


def test_retry_after_reads_seconds_milliseconds_and_http_dates() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry_after_seconds({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert retry_after_seconds({}) == 1.0
    assert retry_after_seconds({"Retry-After": "soon"}) == 1.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after_seconds({"Retry-After": later}) <= 31


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"error": {"message": "bad model", "type": "invalid_request_error", "code": "x"}}', "bad model"),
        (b'{"type": "error", "error": {"type": "invalid_request_error", "message": "bad tool"}}', "bad tool"),
        (b'{"error": "model \\"llama9\\" not found"}', 'model "llama9" not found'),
        (
            b'{"object": "error", "message": "max_tokens too large", "type": "BadRequestError", "code": 400}',
            "max_tokens",
        ),
        (b"plain text body", "plain text body"),
    ],
)
def test_error_bodies_of_every_shape_keep_their_message(raw: bytes, message: str) -> None:
    error = upstream_failure("up", 404, raw, {})
    assert isinstance(error, UpstreamRejected) and error.status == 404
    assert message in error.message


def test_status_mapping() -> None:
    assert isinstance(upstream_failure("up", 429, b"{}", {"Retry-After": "4"}), RateLimited)
    for status in (500, 503, 529, 401, 403):
        error = upstream_failure("up", status, b"{}", {})
        assert isinstance(error, UpstreamError) and error.status == 502 and error.upstream_status == status
    redirect = upstream_failure("up", 308, b"", {"Location": "https://api.example.com/v2/chat"})
    assert isinstance(redirect, UpstreamError) and redirect.status == 502 and redirect.code == "upstream_redirect"
    assert "https://api.example.com/v2/chat" in redirect.message and "base_url" in redirect.message
