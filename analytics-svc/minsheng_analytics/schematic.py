"""The geometry of the page's two drawings, in SVG user units: a schematic map of the
district's subdistricts and a bar chart of a few days.

There is no map service to call and no shapes in the reference data, so the map is a
honeycomb of labelled cells, one per subdistrict in the order the reference data
lists them, for any number of them: it says where the work is, not where the streets
are. The page's template draws the shapes; only numbers come from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

SHADES: Final = 5
"""Shading levels of a cell: 0 for nothing open, then four steps up to the most."""

_SQRT3: Final = math.sqrt(3)


@dataclass(frozen=True)
class Cell:
    """One hexagonal cell, pointy side up: its centre and its outline."""

    x: float
    y: float
    points: str
    marker_x: float
    marker_y: float


@dataclass(frozen=True)
class Honeycomb:
    width: float
    height: float
    radius: float
    cells: list[Cell]


def honeycomb(count: int, *, radius: float = 64.0, margin: float = 16.0) -> Honeycomb:
    """`count` cells in rows of a honeycomb about half again as wide as tall; the
    last row, when short, is centred under the others."""
    if count <= 0:
        return Honeycomb(width=2 * margin, height=2 * margin, radius=radius, cells=[])
    width = _SQRT3 * radius
    columns = min(count, math.ceil(math.sqrt(count * 1.5)))
    rows = math.ceil(count / columns)

    centres: list[tuple[float, float]] = []
    for row in range(rows):
        in_row = min(columns, count - row * columns)
        shift = _row_shift(row, columns - in_row, width)
        for column in range(in_row):
            centres.append(
                (shift + (column + 0.5) * width, radius + row * 1.5 * radius)
            )

    left = min(x for x, _ in centres) - width / 2
    top = min(y for _, y in centres) - radius
    right = max(x for x, _ in centres) + width / 2
    bottom = max(y for _, y in centres) + radius
    cells = [
        _cell(x - left + margin, y - top + margin, radius, width) for x, y in centres
    ]
    return Honeycomb(
        width=round(right - left + 2 * margin, 1),
        height=round(bottom - top + 2 * margin, 1),
        radius=radius,
        cells=cells,
    )


def _row_shift(row: int, missing: int, width: float) -> float:
    """How far a row starts to the right: every other row by half a cell, so the
    cells nest; a short row moves by whole cells towards the centre, keeping the
    nesting."""
    nesting = (row % 2) * width / 2
    wanted = missing * width / 2
    return nesting + round((wanted - nesting) / width) * width


def _cell(x: float, y: float, radius: float, width: float) -> Cell:
    # Drawn a little inside its place, so neighbours show a gap between them.
    inner = radius * 0.94
    corners = [math.radians(-90 + 60 * step) for step in range(6)]
    points = " ".join(
        f"{x + inner * math.cos(angle):.1f},{y + inner * math.sin(angle):.1f}"
        for angle in corners
    )
    return Cell(
        x=round(x, 1),
        y=round(y, 1),
        points=points,
        marker_x=round(x + width * 0.3, 1),
        marker_y=round(y - radius * 0.55, 1),
    )


def shade(value: int, highest: int) -> int:
    """The shading level of `value` among values up to `highest`: 0 for none, else 1
    to SHADES - 1 in equal steps of the highest."""
    if value <= 0 or highest <= 0:
        return 0
    return max(1, math.ceil(value / highest * (SHADES - 1)))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    centre: float
    value: int


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    baseline: float
    bars: list[Bar]


def bar_chart(
    values: Sequence[int],
    *,
    step: float = 44.0,
    plot_height: float = 140.0,
    top: float = 24.0,
    bottom: float = 28.0,
    margin: float = 8.0,
) -> BarChart:
    """Bars for `values` left to right, scaled to the largest; `top` leaves room for
    each bar's number above it, `bottom` for its label below the baseline."""
    highest = max(values, default=0)
    baseline = top + plot_height
    bars = []
    for index, value in enumerate(values):
        height = plot_height * value / highest if highest else 0.0
        left = margin + index * step + step * 0.15
        bars.append(
            Bar(
                x=round(left, 1),
                y=round(baseline - height, 1),
                width=round(step * 0.7, 1),
                height=round(height, 1),
                centre=round(margin + (index + 0.5) * step, 1),
                value=value,
            )
        )
    return BarChart(
        width=round(2 * margin + step * len(values), 1),
        height=round(baseline + bottom, 1),
        baseline=round(baseline, 1),
        bars=bars,
    )
