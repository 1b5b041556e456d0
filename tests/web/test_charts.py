"""Charts are SVG drawn on the server: scaled from zero, labelled for screen readers, escaped."""

from __future__ import annotations

import re

from rungway.web.charts import Series, line_chart


def test_a_line_chart_plots_each_point_within_the_frame_from_zero() -> None:
    svg = str(line_chart([Series("requests", [(0.0, 0.0), (50.0, 5.0), (100.0, 10.0)])], label="calls", width=200))
    (points,) = re.findall(r'points="([^"]+)"', svg)
    coords = [tuple(map(float, p.split(","))) for p in points.split()]
    xs, ys = [x for x, _ in coords], [y for _, y in coords]
    assert xs == sorted(xs) and xs[0] == 48.0 and xs[-1] == 192.0  # left margin to the right edge
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher
    assert ys[1] == (ys[0] + ys[2]) / 2


def test_a_chart_has_an_accessible_name_and_summary() -> None:
    svg = str(line_chart([Series("errors", [(0.0, 1.0), (60.0, 3.0)], tone="bad")], label="Errors per minute"))
    assert 'role="img"' in svg and 'aria-label="Errors per minute"' in svg
    assert "<title>Errors per minute</title>" in svg and "peak 3" in svg


def test_an_empty_chart_says_so() -> None:
    assert "No data in this window" in str(line_chart([], label="nothing"))
    assert "No data in this window" in str(line_chart([Series("a", [])], label="nothing"))


def test_names_are_escaped() -> None:
    svg = str(line_chart([Series("<script>", [(0.0, 1.0)])], label='"><script>'))
    assert "<script>" not in svg
