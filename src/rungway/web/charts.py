"""Time-series charts drawn as SVG on the server: no script, no library, nothing fetched at run time.

A chart is a few polylines with their axes; the page stays readable without JavaScript, prints, and
passes the content security policy (presentation attributes only, no inline styles). Each chart has
an accessible name and a <title>/<desc> summarising the series for screen readers.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["TONES", "Series", "line_chart"]

TONES = {"accent": "#1f5fbf", "bad": "#b42318", "warn": "#9a6200", "ok": "#1d7a3a", "muted": "#5b6470"}


@dataclass(frozen=True)
class Series:
    """One line: (epoch seconds, value) points in time order."""

    name: str
    points: Sequence[tuple[float, float]]
    tone: str = "accent"


def _label(epoch: float, span_s: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%H:%M" if span_s <= 2 * 86400 else "%m-%d")


def _plain(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2g}"


def line_chart(
    series: Sequence[Series],
    *,
    label: str,
    width: int = 640,
    height: int = 180,
    y_format: Callable[[float], str] = _plain,
) -> Markup:
    """An SVG line chart of `series` sharing one time axis and one value axis (from zero)."""
    left, right, top, bottom = 48, 8, 16, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [p for s in series for p in s.points]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(label)}</title>",
    ]
    if not points:
        parts.append(f"<desc>{escape(label)}: no data in this window.</desc>")
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{TONES["muted"]}" '
            f'font-size="13">No data in this window</text></svg>'
        )
        return Markup("".join(parts))
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    span = max(t1 - t0, 1.0)
    top_value = max(max(p[1] for p in points), 1e-12)
    summary = "; ".join(
        f"{s.name}: {len(s.points)} points, peak {y_format(max((p[1] for p in s.points), default=0.0))}" for s in series
    )
    parts.append(f"<desc>{escape(label)}. {escape(summary)}.</desc>")
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dde3" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{TONES["muted"]}">'
            f"{escape(y_format(top_value * fraction))}</text>"
        )
    for epoch, anchor, x in ((t0, "start", left), (t1, "end", width - right)):
        parts.append(
            f'<text x="{x}" y="{height - 6}" text-anchor="{anchor}" font-size="11" fill="{TONES["muted"]}">'
            f"{escape(_label(epoch, span))}</text>"
        )
    for s in series:
        if not s.points:
            continue
        coords = " ".join(
            f"{left + plot_w * (t - t0) / span:.1f},{top + plot_h * (1 - v / top_value):.1f}" for t, v in s.points
        )
        colour = TONES.get(s.tone, TONES["accent"])
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round" points="{coords}">'
            f"<title>{escape(s.name)}</title></polyline>"
        )
    legend_x = left
    for s in series:
        colour = TONES.get(s.tone, TONES["accent"])
        parts.append(
            f'<rect x="{legend_x}" y="0" width="10" height="3" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="6" font-size="10" fill="{TONES["muted"]}">{escape(s.name)}</text>'
        )
        legend_x += 14 + 7 * len(s.name) + 12
    parts.append("</svg>")
    return Markup("".join(parts))
