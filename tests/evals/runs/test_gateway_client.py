"""Which gateway answers are retried, and how long the runner waits between tries."""

from __future__ import annotations

from rungway.evals.runs.gateway_client import MAX_RETRY_AFTER_S, RetryPolicy, is_transient


def test_only_rate_limits_and_server_errors_are_transient() -> None:
    assert all(is_transient(s) for s in (429, 500, 502, 503, 504, 529))
    assert not any(is_transient(s) for s in (400, 401, 402, 403, 404, 409, 413, 422))


def test_waits_grow_are_capped_and_honour_retry_after_up_to_a_bound() -> None:
    policy = RetryPolicy(attempts=5, base_s=0.25, max_wait_s=8.0)
    for attempt, nominal in ((0, 0.25), (1, 0.5), (2, 1.0), (6, 8.0)):
        for _ in range(20):
            assert nominal * 0.5 <= policy.wait_s(attempt, None) <= nominal * 1.5
    assert policy.wait_s(0, "3") >= 3.0
    assert policy.wait_s(0, "86400") <= max(MAX_RETRY_AFTER_S, 8.0 * 1.5)
    assert policy.wait_s(0, "Wed, 21 Oct 2015 07:28:00 GMT") <= 0.375
