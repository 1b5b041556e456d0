"""How the dashboard writes numbers: dollars, durations, times."""

from __future__ import annotations

from rungway.web.render import format_usd


def test_dollars_keep_their_significant_digits() -> None:
    assert [format_usd(v) for v in (None, 0, 0.0000213, 0.0123, 0.5, 1, 1234.5)] == [
        "—", "$0.00", "$0.000021", "$0.0123", "$0.5000", "$1.00", "$1,234.50",
    ]  # fmt: skip
