"""The charts: what `reports.charts` hands the page (a Chart.js spec and the table of every
number it shows, or a heat map's grid), and what `reports/_chart.html` makes of it, parsed
back with `html.parser`. The browser's side is tests/e2e/test_charts_render.py."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.template.loader import render_to_string

from casedesk.reports.charts import (
    NO_DATA,
    Chart,
    Series,
    bar_chart,
    format_number,
    heat_level,
    heatmap,
    line_chart,
    totals_summary,
)

HOSTILE = '<script>alert("x")</script> & co'
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HOURS = [f"{h:02d}" for h in range(24)]


# --- a small DOM of the rendered include


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list["Node"] = field(default_factory=list)
    text: str = ""

    def iter(self, tag: str | None = None) -> Iterator["Node"]:
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            yield from child.iter(tag)

    def find(self, tag: str) -> "Node":
        (found,) = list(self.iter(tag))
        return found

    def all_text(self) -> str:
        return self.text + "".join(child.all_text() for child in self.children)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        # Text is kept on its element; whitespace between tags is layout, not content.
        if data.strip():
            self.stack[-1].text += data


def render(chart: Chart) -> tuple[str, Node]:
    html = render_to_string("reports/_chart.html", {"chart": chart})
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "every element is closed"
    return html, builder.root.find("figure")


def table_of(figure: Node) -> tuple[list[str], list[list[str]]]:
    table = figure.find("table")
    headers = [th.all_text() for th in table.find("thead").iter("th")]
    rows = [
        [c.all_text() for c in tr.children if c.tag in {"th", "td"}]
        for tr in table.find("tbody").iter("tr")
    ]
    return headers, rows


def assert_csp_safe(figure: Node) -> None:
    # A strict CSP forbids inline styles and scripts: the only <script> is JSON data.
    for node in figure.iter():
        assert "style" not in node.attrs, node.tag
        assert node.tag != "style"
        if node.tag == "script":
            assert node.attrs.get("type") == "application/json"


def spec_of(chart: Chart) -> dict[str, Any]:
    assert chart.spec is not None
    return chart.spec


def spec_in_page(figure: Node) -> dict[str, Any]:
    script = figure.find("script")
    assert script.attrs["id"] == figure.attrs["data-spec"]
    loaded: dict[str, Any] = json.loads(script.text)
    return loaded


# --- numbers


def test_format_number_groups_thousands_and_rounds_half_up() -> None:
    assert format_number(1204) == "1,204"
    assert format_number(1204.0) == "1,204"
    assert format_number(71.25) == "71.3"
    assert format_number(92.35) == "92.4"
    assert format_number(2.96) == "3"
    assert format_number(0.125, 2) == "0.13"
    assert format_number(-0.04) == "0"


def test_totals_summary_reads_as_a_sentence() -> None:
    series = [Series("Created", [1000, 204]), Series("Resolved", [1150, None])]
    assert totals_summary(series, "30 days") == "Created 1,204, Resolved 1,150 over 30 days"
    chart = line_chart(
        "Volume", ["a", "b"], series, y_label="Cases", unit="", chart_id="v",
        summary=totals_summary(series, "30 days"),
    )
    assert chart.summary == "Created 1,204, Resolved 1,150 over 30 days"


# --- line chart


def test_line_spec_and_table_carry_exactly_the_data() -> None:
    days = ["1 May", "2 May", "3 May"]
    created = Series("Created", [3, 1204, 0])
    resolved = Series("Resolved", [2.5, 7, None])
    chart = line_chart(
        "Volume", days, [created, resolved], y_label="Cases", unit="cases", chart_id="vol",
        x_label="Day",
    )
    assert chart.kind == "line" and chart.chart_id == "vol" and chart.unit == "cases"
    spec = spec_of(chart)
    assert chart.heat is None
    assert spec["type"] == "line"
    data = spec["data"]
    assert data["labels"] == days
    first, second = data["datasets"]
    assert (first["label"], first["data"]) == ("Created", [3, 1204, 0])
    assert (second["label"], second["data"]) == ("Resolved", [2.5, 7, None])
    # Told apart without colour: the second line is dashed. A gap stays a gap.
    assert first["borderColor"] != second["borderColor"]
    assert (first["borderDash"], second["borderDash"]) == ([], [6, 3])
    assert first["spanGaps"] is False
    options = spec["options"]
    assert options["animation"] is False
    assert options["aspectRatio"] == 2.0
    assert options["scales"]["x"]["title"] == {"display": True, "text": "Day"}
    assert options["scales"]["y"]["title"] == {"display": True, "text": "Cases"}
    assert options["scales"]["y"]["beginAtZero"] is True
    # 2.5 is not a count: the axis may show halves.
    assert options["scales"]["y"]["ticks"] == {}

    assert chart.table.caption == "Volume"
    assert chart.table.headers == ("Day", "Created (cases)", "Resolved (cases)")
    assert chart.table.rows == (
        ("1 May", "3", "2.5"),
        ("2 May", "1,204", "7"),
        ("3 May", "0", "—"),
    )
    assert not chart.is_empty
    # The spec is plain JSON: it comes back from a round trip unchanged.
    assert json.loads(json.dumps(chart.spec, allow_nan=False)) == chart.spec


def test_counts_get_whole_number_ticks() -> None:
    chart = line_chart(
        "Backlog", ["a", "b"], [Series("Open", [0, 3])], y_label="Cases", unit="", chart_id="b"
    )
    assert spec_of(chart)["options"]["scales"]["y"]["ticks"] == {"precision": 0}


def test_a_series_keeps_its_gaps_in_spec_and_table() -> None:
    chart = line_chart(
        "FRT", ["w1", "w2", "w3", "w4", "w5"], [Series("Median", [1, 2, None, 3, 4])],
        y_label="Hours", unit="h", chart_id="frt",
    )
    assert spec_of(chart)["data"]["datasets"][0]["data"] == [1, 2, None, 3, 4]
    assert [row[1] for row in chart.table.rows] == ["1", "2", "—", "3", "4"]


def test_line_default_summary_gives_each_series_range() -> None:
    chart = line_chart(
        "FRT", ["a", "b", "c"], [Series("Median", [2, 5.5, None]), Series("P90", [None] * 3)],
        y_label="Hours", unit="h", chart_id="frt",
    )
    assert chart.summary == "Median from 2 to 5.5 h; P90: no data"


def test_many_series_cycle_colours_and_dashes() -> None:
    series = [Series(f"s{i}", [i]) for i in range(7)]
    chart = line_chart("Many", ["x"], series, y_label="", unit="", chart_id="many")
    spec = spec_of(chart)
    datasets = spec["data"]["datasets"]
    assert len({d["borderColor"] for d in datasets[:6]}) == 6
    assert datasets[6]["borderColor"] == datasets[0]["borderColor"]
    assert spec["options"]["scales"]["y"]["title"] == {"display": False, "text": ""}


# --- bar chart


def test_bar_spec_has_a_bar_per_label_a_target_and_a_colour_below_it() -> None:
    chart = bar_chart(
        "SLA attainment by queue", ["Support", "Billing", "Quiet"], [100, 50, None], unit="%",
        target=90, chart_id="sla", label_header="Queue", value_header="Attainment",
    )
    spec = spec_of(chart)
    assert chart.kind == "bar"
    assert spec["type"] == "bar"
    assert spec["data"]["labels"] == ["Support", "Billing", "Quiet"]
    (dataset,) = spec["data"]["datasets"]
    assert dataset["data"] == [100, 50, None]  # a queue with nothing due has no bar
    assert dataset["label"] == "Attainment (%)"
    ok, below, _ = dataset["backgroundColor"]
    assert ok != below
    assert dataset["backgroundColor"][2] == ok
    options = spec["options"]
    assert options["indexAxis"] == "y"
    value_axis = options["scales"]["x"]
    assert value_axis["beginAtZero"] is True
    assert value_axis["suggestedMax"] == 100  # a percent axis runs to 100
    assert value_axis["title"] == {"display": True, "text": "Attainment (%)"}
    assert options["scales"]["y"]["title"] == {"display": True, "text": "Queue"}
    assert options["plugins"]["legend"] == {"display": False}
    target = options["plugins"]["casedeskTarget"]
    assert (target["value"], target["label"]) == (90, "Target 90%")
    assert chart.table.headers == ("Queue", "Attainment (%)", "Meets target (90%)")
    assert chart.table.rows == (
        ("Support", "100", "yes"),
        ("Billing", "50", "no"),
        ("Quiet", "—", "—"),
    )
    assert chart.summary == "1 of 2 met the 90% target; lowest Billing at 50%"
    assert json.loads(json.dumps(chart.spec, allow_nan=False)) == chart.spec


def test_bars_without_target_have_one_colour_and_grow_taller_with_each_bar() -> None:
    two = bar_chart("Open by agent", ["Ann", "Bob"], [1204, 3], unit="cases", chart_id="load")
    spec = spec_of(two)
    (dataset,) = spec["data"]["datasets"]
    assert len(set(dataset["backgroundColor"])) == 1
    assert "casedeskTarget" not in spec["options"]["plugins"]
    assert "suggestedMax" not in spec["options"]["scales"]["x"]
    assert spec["options"]["scales"]["x"]["ticks"] == {"precision": 0}
    assert two.summary == "Highest Ann at 1,204 cases; lowest Bob at 3 cases"
    assert two.table.rows == (("Ann", "1,204"), ("Bob", "3"))
    # 640 wide; 32 above, 28 a bar, 48 for the axis: 2 bars are 136 tall, 10 bars 360.
    ten = bar_chart("Ten", [str(i) for i in range(10)], list(range(10)), unit="", chart_id="t")
    assert spec["options"]["aspectRatio"] == round(640 / 136, 3)
    assert spec_of(ten)["options"]["aspectRatio"] == round(640 / 360, 3)


def test_a_target_beyond_the_bars_stretches_the_axis_to_show_it() -> None:
    chart = bar_chart("Handled", ["Ann"], [3], unit="cases", chart_id="h", target=10)
    assert spec_of(chart)["options"]["scales"]["x"]["suggestedMax"] == 10
    assert chart.table.rows == (("Ann", "3", "no"),)


# --- heat map


def test_heat_levels_split_the_busiest_cell_into_six_equal_steps() -> None:
    levels = [heat_level(v, 12) for v in (0, 1, 2, 3, 4, 5, 6, 11, 12)]
    assert levels == [0, 1, 1, 2, 2, 3, 3, 6, 6]
    assert heat_level(0.5, 7) == 1  # anything above zero shows
    assert heat_level(3, 0) == 0


def test_heatmap_grid_carries_every_number_with_its_level() -> None:
    values = [[0] * 24 for _ in range(7)]
    values[0][9] = 12  # Monday 09:00, the busiest
    values[0][10] = 6
    values[2][14] = 1
    values[6][23] = 3
    chart = heatmap("Created by weekday and hour", WEEKDAYS, HOURS, values, chart_id="heat")
    assert chart.kind == "heatmap" and chart.spec is None and chart.heat is not None
    grid = chart.heat
    assert grid.columns == tuple(HOURS)
    assert [row.label for row in grid.rows] == WEEKDAYS
    assert [[c.text for c in row.cells] for row in grid.rows] == [
        [str(v) for v in line] for line in values
    ]
    monday_nine = grid.rows[0].cells[9]
    assert (monday_nine.level, monday_nine.label) == (6, "Mon 09: 12 cases")
    assert grid.rows[0].cells[10].level == 3
    assert (grid.rows[2].cells[14].level, grid.rows[2].cells[14].label) == (1, "Wed 14: 1 case")
    assert grid.rows[6].cells[23].level == 2
    levels = [c.level for row in grid.rows for c in row.cells]
    assert levels.count(0) == 164
    assert [(s.level, s.label) for s in grid.legend] == [
        (0, "0 cases"), (1, "up to 2 cases"), (2, "up to 4 cases"), (3, "up to 6 cases"),
        (4, "up to 8 cases"), (5, "up to 10 cases"), (6, "up to 12 cases"),
    ]
    assert chart.summary == "22 cases in all; busiest Mon 09 with 12"
    assert chart.table.headers == ("Day", *HOURS)
    assert chart.table.rows[0] == ("Mon", *["0"] * 9, "12", "6", *["0"] * 13)
    assert [row[1:] for row in chart.table.rows] == [tuple(str(v) for v in line) for line in values]


# --- refusals


@pytest.mark.parametrize("bad", ["", "1chart", 'a"b', "a b", "a<b"])
def test_a_chart_id_that_could_break_the_markup_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        bar_chart("B", ["x"], [1], unit="", chart_id=bad)


def test_inputs_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError):
        line_chart("A", ["x", "y"], [Series("s", [1])], y_label="", unit="", chart_id="a")
    with pytest.raises(ValueError):  # JSON has no NaN
        line_chart("A", ["x"], [Series("s", [float("nan")])], y_label="", unit="", chart_id="a")
    with pytest.raises(ValueError):
        bar_chart("B", ["x", "y"], [1], unit="", chart_id="b")
    with pytest.raises(ValueError):
        bar_chart("B", ["x"], [-1], unit="", chart_id="b")
    with pytest.raises(ValueError):
        bar_chart("B", ["x"], [1], unit="", chart_id="b", target=float("inf"))
    with pytest.raises(ValueError):
        heatmap("H", WEEKDAYS, HOURS, [[0] * 24] * 6, chart_id="h")
    with pytest.raises(ValueError):
        heatmap("H", ["Mon"], ["00"], [[-1]], chart_id="h")


# --- no data


def test_empty_data_makes_an_empty_chart_with_named_columns() -> None:
    empties = [
        line_chart("Volume", [], [], y_label="Cases", unit="", chart_id="e1"),
        line_chart(
            "FRT", ["a", "b"], [Series("Median", [None, None])], y_label="Hours", unit="h",
            chart_id="e2",
        ),
        bar_chart("SLA", [], [], unit="%", target=90, chart_id="e3"),
        bar_chart("SLA", ["Support"], [None], unit="%", chart_id="e4"),
        heatmap("Heat", WEEKDAYS, HOURS, [[0] * 24 for _ in range(7)], chart_id="e5"),
    ]
    for chart in empties:
        assert chart.is_empty
        assert chart.summary == NO_DATA
        assert chart.spec is None and chart.heat is None
        assert chart.table.rows == ()
        assert chart.table.headers  # the columns are still named
    assert empties[1].table.headers == ("Period", "Median (h)")
    assert [c.kind for c in empties] == ["line", "line", "bar", "bar", "heatmap"]


# --- the include


def test_the_include_draws_a_canvas_from_the_spec_with_its_table_one_click_away() -> None:
    chart = line_chart(
        "Volume", ["1 May", "2 May"], [Series("Created", [3, 1204]), Series("Resolved", [2, None])],
        y_label="Cases", unit="cases", chart_id="vol", x_label="Day",
    )
    _, figure = render(chart)
    assert_csp_safe(figure)
    assert figure.attrs["id"] == "vol"
    assert figure.attrs["data-spec"] == "vol-spec"
    assert figure.attrs["data-unit"] == "cases"
    assert "chart-line" in (figure.attrs["class"] or "")
    assert figure.find("figcaption").all_text() == "Volume"
    canvas = figure.find("canvas")
    assert canvas.attrs["role"] == "img"
    assert canvas.attrs["aria-label"] == f"Volume: {chart.summary}"
    # Scripting off, the canvas shows its fallback: the summary.
    assert canvas.all_text() == chart.summary
    assert spec_in_page(figure) == chart.spec
    details = figure.find("details")
    assert details.find("summary").all_text() == "Data as a table"
    # Open as served: without JavaScript the numbers are on the page; charts.js folds it.
    assert "open" in details.attrs
    headers, rows = table_of(figure)
    assert headers == ["Day", "Created (cases)", "Resolved (cases)"]
    assert rows == [["1 May", "3", "2"], ["2 May", "1,204", "—"]]


def test_the_include_keeps_hostile_labels_as_text_in_table_and_spec() -> None:
    line = line_chart(
        HOSTILE, [HOSTILE, "b"], [Series(HOSTILE, [1, 2])], y_label=HOSTILE, unit="",
        chart_id="l", x_label=HOSTILE, summary=HOSTILE,
    )
    bar = bar_chart(HOSTILE, [HOSTILE], [3], unit="", chart_id="b", label_header=HOSTILE)
    heat = heatmap(HOSTILE, [HOSTILE], [HOSTILE], [[1]], chart_id="h", row_header=HOSTILE)
    for chart in (line, bar, heat):
        html, figure = render(chart)
        assert "<script>alert" not in html
        assert_csp_safe(figure)
        assert figure.find("figcaption").all_text() == HOSTILE
        headers, rows = table_of(figure)
        assert headers[0] == HOSTILE
        assert rows[0][0] == HOSTILE
        if chart.spec is not None:
            spec = spec_in_page(figure)
            assert spec == chart.spec
            assert spec["data"]["labels"][0] == HOSTILE
    assert figure.find("td").attrs["title"] == f"{HOSTILE} {HOSTILE}: 1 case"


def test_the_include_draws_a_heat_map_as_a_table_of_levels() -> None:
    values = [[0, 4], [1, 8]]
    chart = heatmap("Created", ["Mon", "Tue"], ["09", "10"], values, chart_id="heat")
    _, figure = render(chart)
    assert_csp_safe(figure)
    assert list(figure.iter("canvas")) == [] and list(figure.iter("script")) == []
    assert "data-spec" not in figure.attrs
    headers, rows = table_of(figure)
    assert headers == ["Day", "09", "10"]
    assert rows == [["Mon", "0", "4"], ["Tue", "1", "8"]]
    cells = [(td.attrs["class"], td.all_text()) for td in figure.iter("td")]
    assert cells == [("heat-0", "0"), ("heat-3", "4"), ("heat-1", "1"), ("heat-6", "8")]
    assert all(th.attrs["scope"] == "row" for th in figure.find("tbody").iter("th"))
    swatches = [s.attrs["class"] for s in figure.iter("span")]
    assert swatches == [f"heat-swatch heat-{n}" for n in range(7)]


def test_the_include_says_no_data_instead_of_drawing_empty_axes() -> None:
    for chart in (
        line_chart("Volume", ["a"], [Series("Created", [None])], y_label="", unit="",
                   chart_id="e1"),
        bar_chart("SLA", [], [], unit="%", chart_id="e2"),
        heatmap("Heat", ["Mon"], ["09"], [[0]], chart_id="e3"),
    ):
        _, figure = render(chart)
        assert "chart-empty" in (figure.attrs["class"] or "")
        assert "data-spec" not in figure.attrs
        assert [n.tag for n in figure.iter() if n.tag in {"canvas", "script", "table"}] == []
        assert figure.find("p").all_text() == NO_DATA
