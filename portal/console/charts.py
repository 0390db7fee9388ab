"""Bar charts drawn on the server as SVG geometry (no chart JavaScript, nothing for the CSP to
refuse): the template `console/_bar_chart.html` turns this into <rect> and <text> elements."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass
class BarChart:
    width: int
    height: int
    top: int          # y of the highest gridline
    bottom: int       # y of the baseline
    left: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]   # (y, value) of the horizontal gridlines
    labels: list[tuple[float, date]]  # (x, day) of the dates written under the axis


def bar_chart(points: list[tuple[date, int]], *, width: int = 760, height: int = 240) -> BarChart:
    """One bar per day, scaled to a round maximum, with at most about 8 dates under the axis so they
    never overlap, whatever the period's length."""
    left, right, top, bottom = 40, 8, 10, height - 28
    peak = max((v for _d, v in points), default=0)
    scale_max = _round_up(peak)
    slot = (width - left - right) / max(len(points), 1)
    gap = min(slot * 0.2, 4)
    bars = []
    for i, (day, value) in enumerate(points):
        h = (bottom - top) * value / scale_max
        bars.append(Bar(round(left + i * slot + gap / 2, 2), round(bottom - h, 2), round(max(slot - gap, 1), 2),
                        round(h, 2), day, value))
    ticks = [(round(bottom - (bottom - top) * k / 4, 2), scale_max * k // 4) for k in range(5)]
    step = max(1, -(-len(points) // 8))
    labels = [(round(left + i * slot + slot / 2, 2), day) for i, (day, _v) in enumerate(points) if i % step == 0]
    return BarChart(width, height, top, bottom, left, bars, ticks, labels)


def _round_up(peak: int) -> int:
    """A maximum for the axis that quarters into whole numbers: 4, 8, 12, 20, 40, 80, 100…"""
    for candidate in (4, 8, 12, 20, 40, 60, 80, 100, 200, 400, 600, 800, 1000):
        if peak <= candidate:
            return candidate
    return -(-peak // 1000) * 1000
