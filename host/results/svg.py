"""Small inline SVG charts for the HTML report: A-vs-B distributions and a metric over runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from benchhub.host.results.units import format_value

WIDTH = 560
_PAD_LEFT, _PAD_RIGHT = 70, 20
_COLORS = {"A": "#4c72b0", "B": "#dd8452"}


@dataclass(frozen=True)
class Point:
    """One run on a history chart: its label, the median and its confidence interval."""

    label: str
    median: float
    low: float
    high: float


@dataclass(frozen=True)
class _Axis:
    """Maps values linearly onto pixels."""

    offset: float
    factor: float

    @classmethod
    def fit(cls, lo: float, hi: float, start: float, end: float) -> _Axis:
        """[lo, hi], padded by 5%, onto [start, end]."""
        if hi <= lo:
            lo, hi = lo - abs(lo) * 0.05 - 1e-12, hi + abs(hi) * 0.05 + 1e-12
        pad = (hi - lo) * 0.05
        lo, hi = lo - pad, hi + pad
        factor = (end - start) / (hi - lo)
        return cls(start - lo * factor, factor)

    def __call__(self, value: float) -> float:
        return self.offset + value * self.factor


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 11) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="#333">{escape(text)}</text>')


def distribution(sides: Sequence[tuple[str, Sequence[float], float, float, float]], unit: str) -> str:
    """One row of dots per side (label, values, median, ci low, ci high) on a shared value axis,
    with the median as a bar and the confidence interval as a band."""
    values = [v for _, vs, *_ in sides for v in vs]
    height = 30 + 34 * len(sides)
    x = _Axis.fit(min(values), max(values), _PAD_LEFT, WIDTH - _PAD_RIGHT)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img">']
    for i, (label, side_values, median, low, high) in enumerate(sides):
        y = 22 + 34 * i
        color = _COLORS.get(label, "#555")
        parts.append(_text(_PAD_LEFT - 10, y + 4, label, "end", 12))
        if math.isfinite(low) and math.isfinite(high):
            parts.append(f'<rect x="{x(low):.1f}" y="{y - 11}" width="{max(x(high) - x(low), 1):.1f}" '
                         f'height="22" fill="{color}" opacity="0.15"/>')
        for j, v in enumerate(side_values):
            jitter = ((j * 7919) % 13 - 6) * 1.2  # deterministic spread so equal values stay visible
            parts.append(f'<circle cx="{x(v):.1f}" cy="{y + jitter:.1f}" r="2.6" fill="{color}" '
                         f'opacity="0.75"><title>{escape(format_value(v, unit))}</title></circle>')
        parts.append(f'<line x1="{x(median):.1f}" x2="{x(median):.1f}" y1="{y - 13}" y2="{y + 13}" '
                     f'stroke="{color}" stroke-width="2.5"/>')
    axis_y = height - 6
    parts.append(_text(_PAD_LEFT, axis_y, format_value(min(values), unit), "start", 10))
    parts.append(_text(WIDTH - _PAD_RIGHT, axis_y, format_value(max(values), unit), "end", 10))
    parts.append("</svg>")
    return "".join(parts)


def history(points: Sequence[Point], unit: str) -> str:
    """Medians over runs (left to right, oldest first) with confidence-interval whiskers."""
    height, top, bottom = 170, 12, 135
    finite = [v for p in points for v in (p.median, p.low, p.high) if math.isfinite(v)]
    y = _Axis.fit(min(finite), max(finite), bottom, top)
    step = (WIDTH - _PAD_LEFT - _PAD_RIGHT) / max(len(points) - 1, 1)
    xs = [_PAD_LEFT + i * step for i in range(len(points))] if len(points) > 1 else [WIDTH / 2]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img">',
             f'<line x1="{_PAD_LEFT}" x2="{WIDTH - _PAD_RIGHT}" y1="{bottom + 5}" y2="{bottom + 5}" '
             'stroke="#ccc"/>',
             _text(_PAD_LEFT - 6, y(max(finite)) + 4, format_value(max(finite), unit), "end", 10),
             _text(_PAD_LEFT - 6, y(min(finite)) + 4, format_value(min(finite), unit), "end", 10)]
    line = " ".join(f"{px:.1f},{y(p.median):.1f}" for px, p in zip(xs, points, strict=True))
    parts.append(f'<polyline points="{line}" fill="none" stroke="{_COLORS["A"]}" stroke-width="1.5"/>')
    for px, p in zip(xs, points, strict=True):
        if math.isfinite(p.low) and math.isfinite(p.high):
            parts.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(p.low):.1f}" y2="{y(p.high):.1f}" '
                         f'stroke="{_COLORS["A"]}" opacity="0.5" stroke-width="5"/>')
        tip = f"{p.label}: {format_value(p.median, unit)}"
        parts.append(f'<circle cx="{px:.1f}" cy="{y(p.median):.1f}" r="3.5" fill="{_COLORS["A"]}">'
                     f"<title>{escape(tip)}</title></circle>")
        parts.append(_text(px, height - 14, p.label, "middle", 10))
    parts.append("</svg>")
    return "".join(parts)
