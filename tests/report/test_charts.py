"""What a reader sees of a weekly trend: the line, its labels, its tooltips, its gaps."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Literal

import pytest

from care.report.charts import Trend, TrendPoint, axis_unit, sparkline_svg, trend_svg

M, H, D = 60.0, 3600.0, 86400.0
WEEKS = ("Sep 15", "Sep 22", "Sep 29", "Oct 6", "Oct 13", "Oct 20")
HOSTILE = ("<script>alert(1)</script>", '" onload="x', "a & b <c> 'd'")


def trend(
    *values: float | None,
    unit: Literal["duration", "share"] = "duration",
    better: Literal["lower", "higher"] = "lower",
    figure: str = "First reply p90",
    counts: tuple[int, ...] = (),
    labels: tuple[str, ...] = WEEKS,
    noun: str = "ticket",
) -> Trend:
    points = tuple(
        TrendPoint(label, value, counts[i] if counts else 0)
        for i, (label, value) in enumerate(zip(labels, values, strict=False))
    )
    return Trend(figure, unit, better, points, noun)


def chart(t: Trend, **kwargs: str) -> ET.Element:
    svg = trend_svg(t, **kwargs)
    assert svg is not None
    return ET.fromstring(svg)  # well-formed, or this raises


def spark(t: Trend) -> ET.Element:
    svg = sparkline_svg(t)
    assert svg is not None
    return ET.fromstring(svg)


def texts(root: ET.Element, cls: str) -> list[str]:
    return [e.text or "" for e in root.iter("text") if e.get("class") == cls]


def tips(root: ET.Element) -> list[str]:
    return [c.findtext("title") or "" for c in root.iter("circle")]


def test_a_trend_is_one_svg_named_by_its_title_and_described_in_a_sentence() -> None:
    root = chart(trend(9 * H, 10 * H, 8 * H, 12 * H, 13 * H, 14 * H))
    assert root.tag == "svg" and root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox") == "0 0 360 140"
    title, desc = root[0], root[1]
    assert (title.tag, title.text) == ("title", "First reply p90")
    assert root.get("aria-labelledby") == title.get("id") == "trend-first-reply-p90-title"
    assert root.get("aria-describedby") == desc.get("id") == "trend-first-reply-p90-desc"
    assert (
        desc.text == "First reply p90 by week, Sep 15 to Oct 20: from 9 h to 14 h; lower is better."
    )
    assert texts(root, "week") == ["Sep 15", "Oct 20"]


@pytest.mark.parametrize(
    "values",
    [(None, None, None), (0.0, 0.0, 0.0), (None, 0.0, None), (), (math.nan, None, math.inf)],
    ids=["no-data", "all-zero", "zero-and-gaps", "no-week", "not-numbers"],
)
def test_nothing_worth_drawing_is_none(values: tuple[float | None, ...]) -> None:
    assert trend_svg(trend(*values)) is None
    assert sparkline_svg(trend(*values)) is None


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_stay_text_and_add_no_script_handler_or_link(hostile: str) -> None:
    t = trend(H, None, 2 * H, figure=hostile, labels=(hostile, "b", hostile), counts=(1, 0, 2))
    for svg in (trend_svg(t), sparkline_svg(t)):
        assert svg is not None
        root = ET.fromstring(svg)
        for e in root.iter():
            assert e.tag not in {"script", "foreignObject", "a", "image", "use", "style"}
            assert not [k for k in e.attrib if k.lower().startswith("on") or "href" in k]
        assert hostile in (root.findtext("title") or "")
        assert "http" not in svg and "url(" not in svg
    assert chart(t).findtext("title") == hostile
    assert tips(chart(t))[0] == f"{hostile}: 1 h (1 ticket)"


def test_a_week_without_data_breaks_the_line_and_is_not_drawn_as_zero() -> None:
    root = chart(trend(H, 2 * H, None, 3 * H, 4 * H))
    assert len(root.findall("polyline")) == 2
    assert [t.split(":")[0] for t in tips(root)] == ["Sep 15", "Sep 22", "Oct 6", "Oct 13"]
    assert "(no data for 1 week)" in (root.findtext("desc") or "")
    assert len(spark(trend(H, 2 * H, None, 3 * H, 4 * H)).findall("polyline")) == 2


def test_a_week_between_two_gaps_is_still_a_dot() -> None:
    t = trend(H, None, 2 * H, None, 3 * H)
    assert not chart(t).findall("polyline") and len(chart(t).findall("circle")) == 3
    assert len(spark(t).findall("circle")) == 3


@pytest.mark.parametrize(
    ("seconds", "symbol"),
    [
        (0, "min"),
        (119 * M, "min"),
        (2 * H - 1, "min"),
        (2 * H, "h"),
        (47 * H, "h"),
        (2 * D - 1, "h"),
        (2 * D, "d"),
        (30 * D, "d"),
    ],
)
def test_the_unit_of_a_duration_chart_follows_its_largest_value(
    seconds: float, symbol: str
) -> None:
    assert axis_unit(seconds).symbol == symbol


def test_every_label_and_tooltip_of_a_chart_is_in_one_unit() -> None:
    root = chart(trend(30 * M, 90 * M, None, 3 * H, counts=(5, 6, 0, 7)))
    assert texts(root, "axis") == ["0 h", "2.5 h", "5 h"]
    assert tips(root) == [
        "Sep 15: 0.5 h (5 tickets)",
        "Sep 22: 1.5 h (6 tickets)",
        "Oct 6: 3 h (7 tickets)",
    ]
    assert texts(root, "latest") == ["3 h"]
    days = chart(trend(20 * H, 36 * H, 2 * D))
    assert tips(days) == ["Sep 15: 0.8 d", "Sep 22: 1.5 d", "Sep 29: 2 d"]
    assert all(t.endswith(" d") for t in texts(days, "axis"))
    minutes = chart(trend(40 * M, 119 * M))
    assert all(t.endswith(" min") for t in texts(minutes, "axis") + tips(minutes))


@pytest.mark.parametrize(
    ("values", "unit", "top"),
    [
        ((9 * H, 14 * H), "duration", "20 h"),
        ((2 * H,), "duration", "2 h"),
        ((H, 2.1 * H), "duration", "2.5 h"),
        ((26 * H, 47 * H), "duration", "50 h"),
        ((30, 45), "duration", "1 min"),
        ((150 * D,), "duration", "200 d"),
        ((0.1, 0.3), "share", "50 %"),
        ((0.25,), "share", "25 %"),
        ((0.5, 0.95), "share", "100 %"),
        ((0.004,), "share", "1 %"),
    ],
)
def test_the_axis_runs_from_zero_to_a_nice_number_at_or_above_the_largest_value(
    values: tuple[float, ...], unit: str, top: str
) -> None:
    labels = texts(chart(trend(*values, unit=unit)), "axis")
    assert labels[0].startswith("0 ") and labels[-1] == top


def test_a_tooltip_tells_the_week_the_value_and_what_it_counts() -> None:
    t = trend(None, 0.25, 0.126, unit="share", counts=(0, 1, 1234), noun="wait")
    assert tips(chart(t)) == ["Sep 22: 25 % (1 wait)", "Sep 29: 13 % (1,234 waits)"]


def test_a_share_chart_reads_in_percent() -> None:
    root = chart(trend(0.12, 0.3, unit="share", better="higher", figure="Surveys answered"))
    assert texts(root, "axis") == ["0 %", "25 %", "50 %"]
    assert root.findtext("desc") == (
        "Surveys answered by week, Sep 15 to Sep 22: from 12 % to 30 %; higher is better."
    )


def test_the_latest_week_with_data_stands_out() -> None:
    root = chart(trend(3 * H, 5 * H, 4 * H, None))
    radii = [float(c.get("r") or 0) for c in root.iter("circle")]
    assert radii[-1] > max(radii[:-1])
    assert texts(root, "latest") == ["4 h"]
    assert texts(root, "week") == ["Sep 15", "Oct 6"]


def test_a_single_week_reads_as_such() -> None:
    root = chart(trend(14 * H, labels=("Nov 30",), counts=(42,)))
    assert tips(root) == ["Nov 30: 14 h (42 tickets)"]
    assert root.findtext("desc") == "First reply p90, week of Nov 30: 14 h; lower is better."
    lone = chart(trend(None, 14 * H, None))
    assert "14 h in the week of Sep 22 (no data for 2 weeks)" in (lone.findtext("desc") or "")


def test_ids_differ_between_figures_and_a_given_id_is_made_safe() -> None:
    a = chart(trend(H, figure="First reply p90"))
    b = chart(trend(H, figure="Next reply p90"))
    assert a.get("aria-labelledby") != b.get("aria-labelledby")
    given = chart(trend(H), id='helpdesk 2" onload="x')
    assert given.get("aria-labelledby") == "helpdesk-2-onload-x-title"
    assert chart(trend(H, figure="<&>")).get("aria-labelledby") == "trend-title"


@pytest.mark.parametrize("values", [(H, 2 * H, 14 * H), (14 * H, None, None), (0.01, 1.0)])
def test_text_is_legible_at_phone_width_and_drawn_without_a_stylesheet(
    values: tuple[float | None, ...],
) -> None:
    root = chart(trend(*values, unit="share" if values[-1] == 1.0 else "duration"))
    width, height = (float(n) for n in (root.get("viewBox") or "").split()[2:])
    assert width <= 400 and float(root.get("font-size") or 0) >= 11
    assert "none" not in (root.get("preserveAspectRatio") or "")
    for text in root.iter("text"):
        assert text.get("fill") and 0 <= float(text.get("x") or -1) <= width
        assert 11 <= float(text.get("y") or -1) <= height
    assert all(line.get("stroke") for line in root.iter("polyline"))
    assert all(dot.get("fill") for dot in root.iter("circle"))


def test_the_sparkline_is_small_and_has_no_visible_text() -> None:
    t = trend(9 * H, 10 * H, None, 14 * H)
    root = spark(t)
    assert (root.get("width"), root.get("height")) == ("80", "20")
    assert not root.findall(".//text") and not root.findall(".//desc")
    sentence = "First reply p90 by week, Sep 15 to Oct 6: from 9 h to 14 h (no data for 1 week)"
    assert (root.findtext("title") or "").startswith(sentence)
    assert root.get("aria-label") == root.findtext("title")
