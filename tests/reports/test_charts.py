"""The SVG charts: parsed back with ElementTree, so every test also checks the markup is
well-formed. The plot area of a line chart runs x 60..620 and y 270 (bottom) .. 40 (top); a
bar chart's bars run from x 160 to 590."""

import xml.etree.ElementTree as ET

import pytest

from casedesk.reports.charts import (
    NO_DATA,
    Chart,
    Series,
    bar_chart,
    format_number,
    heat_level,
    heatmap,
    line_chart,
    nice_ticks,
    totals_summary,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & co'
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HOURS = [f"{h:02d}" for h in range(24)]


def parse(chart: Chart) -> ET.Element:
    return ET.fromstring(chart.svg)


def find_all(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{NS}{tag}"))


def texts(root: ET.Element) -> list[str]:
    return ["".join(el.itertext()) for el in find_all(root, "text")]


def hover_texts(root: ET.Element) -> list[str]:
    # The chart's own <title> is the first; the rest are the hover texts of marks.
    return [el.text or "" for el in find_all(root, "title")][1:]


def assert_accessible(chart: Chart, chart_id: str) -> ET.Element:
    root = parse(chart)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("id") == chart_id
    assert root.get("viewBox", "").startswith("0 0 640 ")
    assert root.get("width") is None  # scales with the page
    title_id, desc_id = root.get("aria-labelledby", "").split()
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert ids[title_id].tag == f"{NS}title"
    assert ids[title_id].text == chart.title
    assert ids[desc_id].tag == f"{NS}desc"
    assert ids[desc_id].text == chart.summary
    # A strict CSP forbids inline styles: neither attributes nor elements.
    for el in root.iter():
        assert "style" not in el.attrib, el.tag
        assert el.tag != f"{NS}style"
        assert el.tag != f"{NS}script"
    return root


# --- tick math


@pytest.mark.parametrize(
    ("lo", "hi", "count", "expected"),
    [
        (0, 10, 5, [0, 2, 4, 6, 8, 10]),
        (0, 100, 5, [0, 20, 40, 60, 80, 100]),
        (0, 7, 5, [0, 2, 4, 6, 8]),  # step 1 would need 8 ticks
        (0, 1204, 5, [0, 250, 500, 750, 1000, 1250]),  # 200 would need 8
        (0, 2, 5, [0, 0.5, 1, 1.5, 2]),
        (0.1, 0.95, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (0, 0.3, 4, [0, 0.1, 0.2, 0.3]),  # 0.3 / 0.1 is 2.9999…; no extra tick
        (-3, 12, 4, [-5, 0, 5, 10, 15]),
        (12, -3, 4, [-5, 0, 5, 10, 15]),  # bounds in either order
        (0, 0, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]),  # all zero: an axis up to 1
        (5, 5, 5, [2, 4, 6, 8]),  # flat: padded by half the value each side
    ],
)
def test_nice_ticks_are_round_and_cover_the_range(
    lo: float, hi: float, count: int, expected: list[float]
) -> None:
    ticks = nice_ticks(lo, hi, count)
    assert ticks == expected
    assert ticks[0] <= min(lo, hi) and ticks[-1] >= max(lo, hi)
    assert len(ticks) <= count + 1


def test_integer_ticks_never_fall_between_whole_numbers() -> None:
    assert nice_ticks(0, 2, 5, integer=True) == [0, 1, 2]
    assert nice_ticks(0, 0, 5, integer=True) == [0, 1]
    assert nice_ticks(0, 25, 4, integer=True) == [0, 10, 20, 30]  # 2.5 × 10 would be whole
    assert nice_ticks(0, 100, 5, integer=True) == [0, 20, 40, 60, 80, 100]


def test_nice_ticks_refuses_a_count_below_two_and_infinite_bounds() -> None:
    with pytest.raises(ValueError):
        nice_ticks(0, 10, 1)
    with pytest.raises(ValueError):
        nice_ticks(0, float("inf"), 5)


def test_format_number_groups_thousands_and_rounds_half_up() -> None:
    assert format_number(1204) == "1,204"
    assert format_number(1204.0) == "1,204"
    assert format_number(71.25) == "71.3"
    assert format_number(92.35) == "92.4"
    assert format_number(2.96) == "3"
    assert format_number(0.125, 2) == "0.13"
    assert format_number(-0.04) == "0"


# --- line chart


def test_line_points_for_a_tiny_series() -> None:
    chart = line_chart(
        "Created",
        ["a", "b", "c"],
        [Series("Created", [0, 5, 10])],
        y_label="Cases",
        unit="",
        chart_id="tiny",
    )
    root = assert_accessible(chart, "tiny")
    # Ticks 0..10 by 2: x spreads 60..620 in two steps of 280, y rises 23 px a unit from 270.
    (polyline,) = find_all(root, "polyline")
    assert polyline.get("points") == "60,270 340,155 620,40"
    circles = [(c.get("cx"), c.get("cy")) for c in find_all(root, "circle")]
    assert circles == [("60", "270"), ("340", "155"), ("620", "40")]
    assert texts(root)[:6] == ["0", "2", "4", "6", "8", "10"]  # y tick labels
    assert [t for t in texts(root) if t in {"a", "b", "c"}] == ["a", "b", "c"]


def test_none_values_split_the_line() -> None:
    chart = line_chart(
        "FRT",
        ["w1", "w2", "w3", "w4", "w5"],
        [Series("Median", [1, 2, None, 3, 4])],
        y_label="Hours",
        unit="h",
        chart_id="frt",
    )
    root = assert_accessible(chart, "frt")
    # Ticks 0..4 by 1: x every 140 px, y 57.5 px per hour.
    points = [p.get("points") for p in find_all(root, "polyline")]
    assert points == ["60,212.5 200,155", "480,97.5 620,40"]
    assert len(find_all(root, "circle")) == 4
    assert "Median, w2: 2 h" in hover_texts(root)
    assert chart.table.rows[2] == ("w3", "—")


def test_a_lone_point_between_gaps_has_a_marker_but_no_line() -> None:
    chart = line_chart(
        "CSAT",
        ["1", "2", "3"],
        [Series("Satisfied", [None, 80, None])],
        y_label="Percent",
        unit="%",
        chart_id="csat",
    )
    root = assert_accessible(chart, "csat")
    assert find_all(root, "polyline") == []
    (circle,) = find_all(root, "circle")
    assert circle.get("cx") == "340"
    assert hover_texts(root) == ["Satisfied, 2: 80%"]


def test_line_table_rows_equal_the_input() -> None:
    days = ["1 May", "2 May", "3 May"]
    created = Series("Created", [3, 1204, 0])
    resolved = Series("Resolved", [2.5, 7, None])
    chart = line_chart(
        "Volume",
        days,
        [created, resolved],
        y_label="Cases",
        unit="cases",
        chart_id="vol",
        x_label="Day",
    )
    assert chart.table.caption == "Volume"
    assert chart.table.headers == ("Day", "Created (cases)", "Resolved (cases)")
    assert chart.table.rows == (
        ("1 May", "3", "2.5"),
        ("2 May", "1,204", "7"),
        ("3 May", "0", "—"),
    )
    assert not chart.is_empty
    root = assert_accessible(chart, "vol")
    legend = [t for t in texts(root) if t in {"Created", "Resolved"}]
    assert legend == ["Created", "Resolved"]
    # The second line is dashed, so the two are told apart without colour.
    first, second = (
        g for g in find_all(root, "g") if g.get("class", "").startswith("chart-series ")
    )
    assert first.get("stroke") != second.get("stroke")
    assert [p.get("stroke-dasharray") for p in find_all(second, "polyline")] == ["6 3"]


def test_many_days_show_a_thinned_set_of_x_labels() -> None:
    days = [f"d{i}" for i in range(30)]
    chart = line_chart(
        "Backlog",
        days,
        [Series("Open", list(range(30)))],
        y_label="Cases",
        unit="",
        chart_id="backlog",
    )
    shown = [t for t in texts(parse(chart)) if t.startswith("d")]
    assert shown == ["d0", "d4", "d8", "d12", "d16", "d20", "d24", "d28"]  # every 4th of 30
    assert len(chart.table.rows) == 30  # the table keeps them all


def test_totals_summary_reads_as_a_sentence() -> None:
    series = [Series("Created", [1000, 204]), Series("Resolved", [1150, None])]
    assert totals_summary(series, "30 days") == "Created 1,204, Resolved 1,150 over 30 days"
    chart = line_chart(
        "Volume",
        ["a", "b"],
        series,
        y_label="Cases",
        unit="",
        chart_id="v",
        summary=totals_summary(series, "30 days"),
    )
    desc = parse(chart).find(f"{NS}desc")
    assert desc is not None and desc.text == "Created 1,204, Resolved 1,150 over 30 days"


def test_line_default_summary_gives_each_series_range() -> None:
    chart = line_chart(
        "FRT",
        ["a", "b", "c"],
        [Series("Median", [2, 5.5, None]), Series("P90", [None] * 3)],
        y_label="Hours",
        unit="h",
        chart_id="frt",
    )
    assert chart.summary == "Median from 2 to 5.5 h; P90: no data"


# --- escaping and ids


def test_hostile_text_survives_as_text() -> None:
    line = line_chart(
        HOSTILE,
        [HOSTILE, "b"],
        [Series(HOSTILE, [1, 2])],
        y_label=HOSTILE,
        unit="",
        chart_id="l",
        summary=HOSTILE,
    )
    bar = bar_chart(HOSTILE, [HOSTILE], [3], unit="", chart_id="b")
    heat = heatmap(HOSTILE, [HOSTILE], ["00"], [[1]], chart_id="h")
    for chart in (line, bar, heat):
        root = assert_accessible(chart, chart.chart_id)
        assert "<script>" not in chart.svg
        title = root.find(f"{NS}title")
        assert title is not None and title.text == HOSTILE
        everything = texts(root) + hover_texts(root)
        assert any(HOSTILE in t for t in everything)
    assert line.table.rows[0][0] == HOSTILE  # the table holds text; the template escapes it


def test_characters_xml_forbids_are_dropped_not_fatal() -> None:
    chart = bar_chart("Queues", ["Bill\x00ing\x1b"], [5], unit="", chart_id="q")
    root = parse(chart)
    assert "Billing" in texts(root)
    assert hover_texts(root) == ["Billing: 5"]


def test_two_charts_on_one_page_share_no_id() -> None:
    a = line_chart("A", ["x"], [Series("s", [1])], y_label="", unit="", chart_id="chart-a")
    b = bar_chart("B", ["x"], [1], unit="", chart_id="chart-b")
    page = ET.fromstring(f"<div>{a.svg}{b.svg}</div>")
    ids = [el.get("id") for el in page.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 6  # each svg, its title and its desc


@pytest.mark.parametrize("bad", ["", "1chart", 'a"b', "a b", "a<b"])
def test_a_chart_id_that_could_break_the_markup_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        bar_chart("B", ["x"], [1], unit="", chart_id=bad)


def test_inputs_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError):
        line_chart("A", ["x", "y"], [Series("s", [1])], y_label="", unit="", chart_id="a")
    with pytest.raises(ValueError):
        line_chart("A", ["x"], [Series("s", [float("nan")])], y_label="", unit="", chart_id="a")
    with pytest.raises(ValueError):
        bar_chart("B", ["x", "y"], [1], unit="", chart_id="b")
    with pytest.raises(ValueError):
        bar_chart("B", ["x"], [-1], unit="", chart_id="b")
    with pytest.raises(ValueError):
        heatmap("H", WEEKDAYS, HOURS, [[0] * 24] * 6, chart_id="h")
    with pytest.raises(ValueError):
        heatmap("H", ["Mon"], ["00"], [[-1]], chart_id="h")


# --- bar chart


def test_bars_scale_from_zero_with_a_target_line() -> None:
    chart = bar_chart(
        "SLA attainment by queue",
        ["Support", "Billing", "Quiet"],
        [100, 50, None],
        unit="%",
        target=90,
        chart_id="sla",
        label_header="Queue",
        value_header="Attainment",
    )
    root = assert_accessible(chart, "sla")
    # A percent axis runs 0..100: 430 px for 100 %, so 4.3 px a point.
    widths = [r.get("width") for r in find_all(root, "rect")]
    assert widths == ["430", "215"]
    target = next(g for g in find_all(root, "g") if g.get("class") == "chart-target")
    line = target.find(f"{NS}line")
    assert line is not None and line.get("x1") == line.get("x2") == "547"  # 160 + 0.9 × 430
    assert "Target 90%" in texts(root)
    classes = [g.get("class") for g in find_all(root, "g") if "chart-bar" in g.get("class", "")]
    assert classes == ["chart-bar", "chart-bar chart-bar-below-target", "chart-bar"]
    assert "no data" in texts(root)
    assert hover_texts(root) == ["Support: 100%", "Billing: 50%", "Quiet: —"]
    assert chart.table.headers == ("Queue", "Attainment (%)", "Meets target (90%)")
    assert chart.table.rows == (
        ("Support", "100", "yes"),
        ("Billing", "50", "no"),
        ("Quiet", "—", "—"),
    )
    assert chart.summary == "1 of 2 met the 90% target; lowest Billing at 50%"


def test_bar_axis_without_target_rounds_up_past_the_largest_value() -> None:
    chart = bar_chart("Open by agent", ["Ann", "Bob"], [1204, 3], unit="cases", chart_id="load")
    root = assert_accessible(chart, "load")
    assert texts(root)[:6] == ["0", "250", "500", "750", "1,000", "1,250"]
    # 1,204 of 1,250 over 430 px is 414.18; 3 of them is 1.03.
    assert [r.get("width") for r in find_all(root, "rect")] == ["414.2", "1"]
    assert chart.summary == "Highest Ann at 1,204 cases; lowest Bob at 3 cases"
    assert chart.table.rows == (("Ann", "1,204"), ("Bob", "3"))


def test_a_long_bar_label_is_shortened_on_the_chart_only() -> None:
    label = "Enterprise customers — priority escalations"
    chart = bar_chart("Q", [label], [5], unit="", chart_id="q")
    root = parse(chart)
    assert "Enterprise customers …" in texts(root)
    assert hover_texts(root) == [f"{label}: 5"]
    assert chart.table.rows == ((label, "5"),)


# --- heat map


def test_heat_levels_split_the_busiest_cell_into_six_equal_steps() -> None:
    assert [heat_level(v, 12) for v in (0, 1, 2, 3, 4, 5, 6, 11, 12)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        6,
        6,
    ]
    assert heat_level(0.5, 7) == 1  # anything above zero shows
    assert heat_level(3, 0) == 0


def test_heatmap_cells_carry_their_class_and_hover_text() -> None:
    values = [[0] * 24 for _ in range(7)]
    values[0][9] = 12  # Monday 09:00, the busiest
    values[0][10] = 6
    values[2][14] = 1
    values[6][23] = 3
    chart = heatmap("Created by weekday and hour", WEEKDAYS, HOURS, values, chart_id="heat")
    root = assert_accessible(chart, "heat")
    cells = next(g for g in find_all(root, "g") if g.get("class") == "chart-cells")
    rects = find_all(cells, "rect")
    assert len(rects) == 7 * 24
    by_position = {(r.get("x"), r.get("y")): r for r in rects}
    # 24 columns over 576 px: 24 px each from x 48; rows 24 px each from y 28.
    monday_nine = by_position[("264", "28")]
    assert monday_nine.get("class") == "heat-6"
    title = monday_nine.find(f"{NS}title")
    assert title is not None and title.text == "Mon 09: 12 cases"
    assert by_position[("288", "28")].get("class") == "heat-3"
    assert by_position[("384", "76")].get("class") == "heat-1"
    wed_title = by_position[("384", "76")].find(f"{NS}title")
    assert wed_title is not None and wed_title.text == "Wed 14: 1 case"
    assert by_position[("600", "172")].get("class") == "heat-2"
    counts: dict[str, int] = {}
    for r in rects:
        counts[r.get("class", "")] = counts.get(r.get("class", ""), 0) + 1
    assert counts == {"heat-0": 164, "heat-6": 1, "heat-3": 1, "heat-1": 1, "heat-2": 1}
    legend = [r.get("class") for r in find_all(root, "rect") if r not in rects]
    assert legend == [f"heat-{n}" for n in range(7)]
    assert chart.summary == "22 cases in all; busiest Mon 09 with 12"
    assert chart.table.headers == ("Day", *HOURS)
    assert chart.table.rows[0] == ("Mon", *["0"] * 9, "12", "6", *["0"] * 13)
    assert [row[0] for row in chart.table.rows] == WEEKDAYS
    assert [row[1:] for row in chart.table.rows] == [tuple(str(v) for v in line) for line in values]


# --- no data


def test_empty_data_draws_a_no_data_chart_and_an_empty_table() -> None:
    empties = [
        line_chart("Volume", [], [], y_label="Cases", unit="", chart_id="e1"),
        line_chart(
            "FRT",
            ["a", "b"],
            [Series("Median", [None, None])],
            y_label="Hours",
            unit="h",
            chart_id="e2",
        ),
        bar_chart("SLA", [], [], unit="%", target=90, chart_id="e3"),
        bar_chart("SLA", ["Support"], [None], unit="%", chart_id="e4"),
        heatmap("Heat", WEEKDAYS, HOURS, [[0] * 24 for _ in range(7)], chart_id="e5"),
    ]
    for chart in empties:
        root = assert_accessible(chart, chart.chart_id)
        assert texts(root) == [NO_DATA]
        assert chart.summary == NO_DATA
        assert chart.is_empty
        assert chart.table.rows == ()
        assert chart.table.headers  # the table view still names its columns
    assert empties[1].table.headers == ("Period", "Median (h)")
