"""A source's last 30 days as bars: pure geometry, drawn as inline SVG by the template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

WIDTH = 240
HEIGHT = 40


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    height: float  # new articles
    error_height: float  # failed pages, stacked above
    label: str  # the tooltip: day, figures


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT
    peak: int = 0


def day_bars(days: Mapping[date, Mapping[str, int]], today: date, span: int = 30) -> Chart:
    """One bar per day, oldest first: new articles, with errors stacked on top.

    ``days`` maps a day to ``{"new": n, "errors": n, "runs": n}``; missing days are 0.
    """
    window = [today - timedelta(days=span - 1 - i) for i in range(span)]
    figures = [days.get(d, {}) for d in window]
    peak = max((int(f.get("new", 0)) + int(f.get("errors", 0)) for f in figures), default=0)
    slot = WIDTH / span
    bars = []
    for i, (day, f) in enumerate(zip(window, figures, strict=True)):
        new, errors, runs = int(f.get("new", 0)), int(f.get("errors", 0)), int(f.get("runs", 0))
        scale = (HEIGHT - 1) / peak if peak else 0
        bars.append(
            Bar(
                x=round(i * slot + 0.5, 2),
                width=round(slot - 1, 2),
                height=round(new * scale, 2),
                error_height=round(errors * scale, 2),
                label=f"{day.isoformat()}: {new} new, {errors} errors, {runs} runs",
            )
        )
    return Chart(tuple(bars), peak=peak)


def percent(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def series(rows: Sequence[Mapping[str, Any]], source: str) -> dict[date, dict[str, int]]:
    """Rows of ``web_source_days`` for one source, as ``day_bars`` wants them."""
    return {
        row["day"]: {k: int(row[k] or 0) for k in ("new", "errors", "runs")}
        for row in rows
        if row["source"] == source
    }
