"""Weekly trend lines as inline SVG, for the report's "direction" section.

`trend_svg` draws one key figure over the last weeks: a line from 0 up to a rounded
maximum, broken where a week has no data, a dot per week whose tooltip tells the week,
the figure and what it counts over, the latest week emphasised. `sparkline_svg` draws
the same line small and without text, for a table cell.

Both return one `<svg>` element as a string for the autoescaped template to insert with
`|safe`: every text in it is escaped here, and it holds no script, event handler, link
or external reference, nor anything for a stylesheet to supply (colours and fonts are
attributes), so it reads the same in the page, offline and in a mail client that shows
SVG. Geometry is in viewBox units; the browser scales the chart to the page's width, at
most 26rem as the bar charts. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from care.domain.wording import counted, plural

WIDTH = 360  # viewBox units
HEIGHT = 140
TOP = 24  # the ceiling's grid line; the latest value is written above it when it is highest
BOTTOM = 106  # the zero line; the week labels sit under it
RIGHT = WIDTH - 8  # the latest week, with room for its dot
FONT = 14  # as the bar charts: about 11.5 px on a 360 px phone
GLYPH = 8.5  # a generous width of one character at FONT, to make room for the axis labels
FONT_FAMILY = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"

SPARK_WIDTH = 80
SPARK_HEIGHT = 20

LINE = "#1d4ed8"  # 6.7:1 on white, as the bars
INK = "#111827"
MUTED = "#374151"
GRID = "#e5e7eb"
BASELINE = "#9ca3af"


@dataclass(frozen=True, slots=True)
class TrendPoint:
    label: str  # the week, e.g. "Nov 30" (its first day)
    value: float | None  # None (or not a finite number): no data that week, a gap, not a zero
    count: int = 0  # what the value counts over, e.g. 42 tickets; 0 leaves it out of the tooltip


@dataclass(frozen=True, slots=True)
class Trend:
    figure: str  # e.g. "First reply p90"
    unit: Literal["duration", "share"]  # duration: seconds; share: 0..1
    better: Literal["lower", "higher"]
    points: tuple[TrendPoint, ...]  # oldest week first
    noun: str = "ticket"  # what a point's count counts, singular, with a plural in "s"


Valued = list[tuple[int, TrendPoint, float]]  # (week index, point, value) of the weeks with data


@dataclass(frozen=True, slots=True)
class AxisUnit:
    """The one unit every label and tooltip of a chart is written in."""

    symbol: str  # "min", "h", "d", "%"
    size: float  # how much of the trend's values one unit is: 60 seconds, 0.01 of a share

    def number(self, value: float) -> float:
        return value / self.size

    def text(self, value: float) -> str:
        """ "14 h", "1.5 d", "25 %": one decimal under 10, none from 10 on."""
        return f"{_number(self.number(value))} {self.symbol}"


MINUTES = AxisUnit("min", 60)
HOURS = AxisUnit("h", 3600)
DAYS = AxisUnit("d", 86400)
PERCENT = AxisUnit("%", 0.01)


def axis_unit(max_seconds: float) -> AxisUnit:
    """The unit of a duration chart whose largest value is `max_seconds`: minutes under
    2 hours, hours under 2 days, else days."""
    if max_seconds < 2 * HOURS.size:
        return MINUTES
    if max_seconds < 2 * DAYS.size:
        return HOURS
    return DAYS


def trend_svg(trend: Trend, *, id: str | None = None) -> str | None:
    """The trend as one `<svg>` element, or None when there is nothing worth drawing: no
    point with a value, or every value zero.

    The element is labelled by its `<title>` (the figure) and described by its `<desc>`
    (the first and latest values and which way is better), through the ids `{id}-title`
    and `{id}-desc`; `id` defaults to "trend-" and the figure's name in lower-case
    letters, digits and dashes. Pass one when a page shows two trends of the same name.
    """
    valued = _valued(trend.points)
    if not valued:
        return None
    unit = _unit(trend, valued)
    frame = _chart_frame(trend, valued, unit)
    base = _slug(id) if id is not None else _slug(f"trend-{trend.figure}")
    return "\n".join(
        [
            f'<svg width="100%" viewBox="0 0 {WIDTH} {HEIGHT}" '
            'preserveAspectRatio="xMinYMin meet" role="img" '
            f'aria-labelledby="{base}-title" aria-describedby="{base}-desc" '
            f'font-family="{FONT_FAMILY}" font-size="{FONT}" '
            'style="display:block;width:100%;max-width:26rem;height:auto">',
            f'<title id="{base}-title">{_text(trend.figure)}</title>',
            f'<desc id="{base}-desc">{_text(_describe(trend, valued, unit))}</desc>',
            *_y_axis(frame, unit),
            *_week_labels(frame, trend.points),
            *_lines(frame, valued, stroke=2.5),
            *_dots(frame, valued, unit, trend.noun),
            _latest_value(frame, valued[-1], unit),
            "</svg>",
        ]
    )


def sparkline_svg(trend: Trend) -> str | None:
    """The trend as a small line for a table cell (80 × 20 px, from 0 up to its largest
    value), with no text but its `<title>`, the sentence `trend_svg` describes it with;
    None on the same terms as `trend_svg`."""
    valued = _valued(trend.points)
    if not valued:
        return None
    sentence = _text(_describe(trend, valued, _unit(trend, valued)))
    frame = _Frame(
        left=3,
        right=SPARK_WIDTH - 3,
        top=3,
        bottom=SPARK_HEIGHT - 2,
        weeks=len(trend.points),
        ceiling=max(v for _, _, v in valued),
    )
    indices = {i for i, _, _ in valued}
    dots = [  # only where there is no line to see, and the latest week
        f'<circle cx="{frame.x(i):.1f}" cy="{frame.y(v):.1f}" r="{2.5 if last else 1.5}" '
        f'fill="{LINE}"/>'
        for i, v, last in _marked(valued)
        if last or not {i - 1, i + 1} & indices
    ]
    return "".join(
        [
            f'<svg width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" '
            f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" aria-label="{sentence}" '
            'style="vertical-align:middle">',
            f"<title>{sentence}</title>",
            *_lines(frame, valued, stroke=1.5),
            *dots,
            "</svg>",
        ]
    )


def _valued(points: Sequence[TrendPoint]) -> Valued | None:
    """The weeks with data, or None when none has a value above zero."""
    valued = [
        (i, p, float(p.value))
        for i, p in enumerate(points)
        if p.value is not None and math.isfinite(p.value)
    ]
    return valued if any(v > 0 for _, _, v in valued) else None


def _unit(trend: Trend, valued: Valued) -> AxisUnit:
    if trend.unit == "share":
        return PERCENT
    return axis_unit(max(v for _, _, v in valued))


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where values land: weeks evenly from `left` to `right` (a single week at the right),
    values from 0 at `bottom` up to `ceiling` at `top`."""

    left: float
    right: float
    top: float
    bottom: float
    weeks: int
    ceiling: float  # in the trend's own values (seconds, shares)

    def x(self, index: int) -> float:
        if self.weeks < 2:
            return self.right
        return self.left + (self.right - self.left) * index / (self.weeks - 1)

    def y(self, value: float) -> float:
        share = min(max(value / self.ceiling, 0.0), 1.0)
        return self.bottom - (self.bottom - self.top) * share


def _chart_frame(trend: Trend, valued: Valued, unit: AxisUnit) -> _Frame:
    ceiling = _nice(unit.number(max(v for _, _, v in valued))) * unit.size
    widest = max(len(unit.text(value)) for value, _ in _ticks(ceiling, unit))
    return _Frame(
        left=widest * GLYPH + 12,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        weeks=len(trend.points),
        ceiling=ceiling,
    )


def _nice(peak: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 × 10^k (k ≥ 0) at or above `peak`; 1 below 1."""
    scale = 10.0 ** math.floor(math.log10(peak)) if peak > 1 else 1.0
    # The tolerance keeps 0.29 (29.999999999999996 %) from rounding past 30.
    return next(s * scale for s in (1, 2, 2.5, 5, 10) if s * scale >= peak * (1 - 1e-9))


def _ticks(ceiling: float, unit: AxisUnit) -> list[tuple[float, bool]]:
    """(value, labelled) of each grid line: 0, the middle and the ceiling; the middle is
    labelled only when it reads exactly ("25 h", not "12.5 h" rounded to "13 h")."""
    middle = ceiling / 2
    number = unit.number(middle)
    exact = math.isclose(number, round(number, 1 if number < 10 else 0))
    return [(0.0, True), (middle, exact), (ceiling, True)]


def _y_axis(frame: _Frame, unit: AxisUnit) -> list[str]:
    """Light grid lines across the chart, their values in the gutter at the left."""
    parts = []
    for value, labelled in _ticks(frame.ceiling, unit):
        y = frame.y(value)
        colour = BASELINE if value == 0 else GRID
        parts.append(
            f'<line x1="{frame.left:.1f}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        if labelled:
            parts.append(
                f'<text class="axis" x="{frame.left - 8:.1f}" y="{y + FONT * 0.35:.1f}" '
                f'text-anchor="end" fill="{MUTED}">{_text(unit.text(value))}</text>'
            )
    return parts


def _week_labels(frame: _Frame, points: Sequence[TrendPoint]) -> list[str]:
    """The first and the latest week, under the zero line, each inside the chart."""
    y = frame.bottom + FONT + 8
    ends = [(0, "start"), (len(points) - 1, "end")] if len(points) > 1 else [(0, "end")]
    return [
        f'<text class="week" x="{frame.x(i):.1f}" y="{y:.1f}" text-anchor="{anchor}" '
        f'fill="{MUTED}">'
        f"{_text(points[i].label)}</text>"
        for i, anchor in ends
    ]


def _lines(frame: _Frame, valued: Valued, *, stroke: float) -> list[str]:
    """One polyline per run of consecutive weeks with data: a week without breaks the
    line. A run of one week has no line; its dot shows it."""
    runs: list[list[tuple[float, float]]] = []
    previous = -2
    for i, _, value in valued:
        if i != previous + 1:
            runs.append([])
        runs[-1].append((frame.x(i), frame.y(value)))
        previous = i
    return [
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" fill="none" '
        f'stroke="{LINE}" stroke-width="{stroke}" stroke-linejoin="round" '
        'stroke-linecap="round"/>'
        for run in runs
        if len(run) > 1
    ]


def _marked(valued: Valued) -> list[tuple[int, float, bool]]:
    """(week index, value, is the latest week with data) of each week with data."""
    return [(i, v, n == len(valued) - 1) for n, (i, _, v) in enumerate(valued)]


def _dots(frame: _Frame, valued: Valued, unit: AxisUnit, noun: str) -> list[str]:
    """A dot per week with data, its tooltip "Nov 30: 14 h (42 tickets)"; the latest is
    larger, ringed in white to stand out of the line."""
    parts = []
    for (i, point, value), (_, _, last) in zip(valued, _marked(valued), strict=True):
        ring = ' r="5.5" stroke="#ffffff" stroke-width="2"' if last else ' r="4"'
        what = f" ({counted(point.count, noun)})" if point.count else ""
        tip = f"{point.label}: {unit.text(value)}{what}"
        parts.append(
            f'<circle cx="{frame.x(i):.1f}" cy="{frame.y(value):.1f}"{ring} fill="{LINE}">'
            f"<title>{_text(tip)}</title></circle>"
        )
    return parts


def _latest_value(frame: _Frame, latest: tuple[int, TrendPoint, float], unit: AxisUnit) -> str:
    """The latest value in bold above its dot, haloed in white where the line crosses it;
    ending at the dot in the right half of the chart, so it stays inside."""
    i, _, value = latest
    x, y = frame.x(i), frame.y(value) - 11
    anchor = "end" if x > WIDTH / 2 else "middle"
    return (
        f'<text class="latest" x="{x + (6 if anchor == "end" else 0):.1f}" y="{y:.1f}" '
        f'text-anchor="{anchor}" '
        f'fill="{INK}" stroke="#ffffff" stroke-width="4" stroke-linejoin="round" '
        f'paint-order="stroke" style="font-weight:bold">{_text(unit.text(value))}</text>'
    )


def _describe(trend: Trend, valued: Valued, unit: AxisUnit) -> str:
    """ "First reply p90 by week, Sep 15 to Nov 30: from 9 h to 14 h; lower is better." """
    points = trend.points
    (_, first, a), (_, _, b) = valued[0], valued[-1]
    if len(points) == 1:
        return f"{trend.figure}, week of {first.label}: {unit.text(a)}; {trend.better} is better."
    change = (
        f"from {unit.text(a)} to {unit.text(b)}"
        if len(valued) > 1
        else f"{unit.text(a)} in the week of {first.label}"
    )
    missing = len(points) - len(valued)
    gaps = f" (no data for {plural(missing, 'week')})" if missing else ""
    return (
        f"{trend.figure} by week, {points[0].label} to {points[-1].label}: "
        f"{change}{gaps}; {trend.better} is better."
    )


def _number(x: float) -> str:
    text = f"{x:,.1f}" if abs(x) < 10 else f"{x:,.0f}"
    return text.removesuffix(".0")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Escaped for text and attribute values alike, without the characters XML refuses."""
    return escape(_NOT_XML.sub("", value), quote=True)


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "trend"
