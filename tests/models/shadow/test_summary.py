"""The summary's statistics: percentiles, the exact sign test and the paired changes, on planted results."""

from __future__ import annotations

import dataclasses

import pytest

from rungway.models.shadow.model import ShadowResult, ShadowRun
from rungway.models.shadow.summary import percentile, sign_test, summarize_results

RUN = ShadowRun("shr_x", "support", "a", "b", 1.0, 4, 0.0, dropped=3)


def _result(i: int, a_ms: float, b_ms: float | None, **fields: object) -> ShadowResult:
    base = ShadowResult(
        id=f"shd_{i}", run_id="shr_x", workload="support", request_id=f"req_{i}", ts=float(i), stream=False,
        a_latency_ms=a_ms, b_latency_ms=b_ms, a_tokens_in=10, a_tokens_out=20, b_tokens_in=10, b_tokens_out=20,
        a_cost_nano=1000, b_cost_nano=2000, a_priced=True, b_priced=True, exact_match=True, token_f1=1.0, rouge_l=1.0,
    )  # fmt: skip
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile(list(map(float, range(101))), 95) == 95.0


def test_the_sign_test_is_exact_and_two_sided() -> None:
    assert sign_test([]) is None and sign_test([0.0, 0.0]) is None
    assert sign_test([1.0] * 10) == pytest.approx(2 / 1024)
    assert sign_test([1.0, -1.0]) == 1.0
    assert sign_test([1.0] * 8 + [-1.0] * 2) == pytest.approx(2 * (1 + 10 + 45) / 1024)
    assert 0 < sign_test([1.0] * 3000 + [-1.0] * 2800) < 0.01  # large n stays finite and exact


def test_a_summary_of_planted_results() -> None:
    results = [_result(i, 100.0, 150.0) for i in range(20)]
    results += [_result(20, 100.0, None, b_error="upstream_error: 500", exact_match=None, token_f1=None, rouge_l=None)]
    results += [_result(21, 100.0, 150.0, exact_match=False, token_f1=0.1, rouge_l=0.3, json_valid=False,
                        tool_names_equal=True)]  # fmt: skip
    s = summarize_results(RUN, results)
    assert s.pairs == 22 and s.dropped == 3 and s.b_errors == 1 and s.b_error_rate == pytest.approx(1 / 22)
    assert s.latency_ms.pairs == 21 and s.latency_ms.a_p50 == 100 and s.latency_ms.b_p95 == 150
    assert s.latency_ms.change_p50 == pytest.approx(0.5) and s.latency_ms.significant and s.latency_ms.b_lower == 0
    assert s.cost_usd.change_mean == pytest.approx(1.0) and s.cost_usd.significant
    assert s.output_tokens.change_mean == 0 and s.output_tokens.p_value is None  # same length: no difference
    assert s.exact_match_rate == pytest.approx(20 / 21)
    assert s.token_f1.count == 21 and s.token_f1.buckets == (1, 0, 0, 0, 20) and s.rouge_l.buckets == (0, 1, 0, 0, 20)
    assert s.json_pairs == 1 and s.json_valid_rate == 0.0 and s.tool_names_equal_rate == 1.0
    assert s.to_json()["run"]["id"] == "shr_x"


def test_an_empty_run() -> None:
    s = summarize_results(RUN, [])
    assert s.pairs == 0 and s.b_error_rate is None and s.latency_ms.p_value is None and not s.latency_ms.significant
    assert s.exact_match_rate is None and s.token_f1.mean is None
