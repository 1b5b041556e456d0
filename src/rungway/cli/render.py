"""Showing results in the terminal: rich tables, or JSON / CSV for scripts, with readable units."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Column", "console", "emit", "fmt_ms", "fmt_time", "fmt_usd", "grouped_by"]


def console() -> Console:
    """A console on the current stdout; wide when not a terminal so pipes do not wrap rows."""
    out = Console(file=sys.stdout, highlight=False)
    if not out.is_terminal:
        out = Console(file=sys.stdout, highlight=False, width=200, soft_wrap=True)
    return out


def fmt_time(ts: float | None) -> str:
    """Local time, to the second; blank for none."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fmt_usd(value: float) -> str:
    return f"${value:,.6f}" if 0 < value < 0.01 else f"${value:,.2f}"


def fmt_ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f} ms"


@dataclass(frozen=True, slots=True)
class Column:
    """One output column: `field` of each row, its heading, and how a table shows it."""

    field: str
    heading: str
    show: Callable[[Any], str] = lambda v: "" if v is None else str(v)
    justify: str = "left"


def grouped_by(columns: Sequence[Column], by: str, tag: str | None = None) -> list[Column]:
    """`columns` with the group column (field `key`) headed after what rows are grouped by: `Workload`, `Tag env`."""
    heading = by.replace("_", " ").capitalize() + (f" {tag}" if by == "tag" and tag else "")
    return [replace(c, heading=heading) if c.field == "key" else c for c in columns]


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], fmt: str, title: str | None = None) -> None:
    """Print rows as a rich table, JSON (every field) or CSV (the columns, raw values)."""
    if fmt == "json":
        sys.stdout.write(json.dumps(list(rows), indent=2, default=str) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow([c.field for c in columns])
        for row in rows:
            writer.writerow(["" if row.get(c.field) is None else row.get(c.field) for c in columns])
        return
    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c.heading, justify=c.justify, no_wrap=c.justify == "right")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(c.show(row.get(c.field)) for c in columns))
    out = console()
    if rows:
        out.print(table)
    else:
        out.print(f"{title + ': ' if title else ''}nothing to show")
