"""Small bar charts drawn on the server: the geometry of each bar, for a template to write as
SVG (no script, no library). Values are integers (token base units or counts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    series: int  # which series (colour) the bar draws


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x of each group's label, the label
    baseline: float
    peak: int


def stacked(
    groups: Sequence[tuple[str, Sequence[int]]],
    *,
    width: int = 640,
    height: int = 220,
    margin: int = 24,
) -> Chart:
    """Vertical bars, one per group, each stacking its series' values bottom up."""
    peak = max((sum(v) for _, v in groups), default=0) or 1
    plot = height - 2 * margin
    slot = (width - 2 * margin) / max(1, len(groups))
    bar_width = max(4.0, slot * 0.6)
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    base = height - margin
    for i, (label, values) in enumerate(groups):
        x = margin + i * slot + (slot - bar_width) / 2
        top = base
        for series, value in enumerate(values):
            h = plot * value / peak
            top -= h
            if value:
                bars.append(Bar(label, value, round(x, 1), round(top, 1), round(bar_width, 1),
                                round(h, 1), series))  # fmt: skip
        labels.append((round(x + bar_width / 2, 1), label))
    return Chart(width, height, bars, labels, base, peak)


def horizontal(
    items: Sequence[tuple[str, Sequence[int]]], *, width: int = 640, row: int = 18
) -> Chart:
    """Horizontal bars: per item, one bar per series under each other (e.g. budget, awarded,
    paid of each round), scaled to the largest value."""
    peak = max((max(v, default=0) for _, v in items), default=0) or 1
    left, right = 8, 8
    span = width - left - right
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    y = 4.0
    for label, values in items:
        labels.append((y + 12, label))
        y += 16
        for series, value in enumerate(values):
            bars.append(Bar(label, value, left, y, round(max(1.0, span * value / peak), 1),
                            row - 4, series))  # fmt: skip
            y += row
        y += 8
    return Chart(width, int(y), bars, labels, y, peak)
