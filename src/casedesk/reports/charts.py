"""Server-side SVG charts for the report pages: plain functions, no database, no JavaScript.

Each function returns a `Chart`: the SVG markup, ready to be placed inline in a page, and the
same figures as a `Table` for the "data as a table" view beside it, so a reader without sight
or without a mouse gets every number the picture shows.

The markup is made to survive a strict Content-Security-Policy: it never carries a `style`
attribute or a `<style>` element. Colours are SVG presentation attributes, which any CSS rule
on the page's classes (`chart-series-0`, `heat-3`, `chart-bar-below-target`, ...) overrides,
so the page may restyle a chart while a chart seen without the page's CSS still reads.

Every caller-given text is escaped here and nowhere else, so `Chart.svg` may be marked safe
by the template that shows it. Ids inside a chart are prefixed with its `chart_id`, so two
charts on one page never share an id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape

NO_DATA = "No data for this period"
# The text shown in a table cell, and a point's hover text, where a value is missing: a blank
# cell is easy to misread as zero.
MISSING = "—"

WIDTH = 640

# Line chart: the plot area inside the 640 × 320 view box. The legend sits above it, the
# x labels below it, the y tick labels and the axis title to its left.
LINE_HEIGHT = 320
PLOT_LEFT = 60.0
PLOT_RIGHT = 620.0
PLOT_TOP = 40.0
PLOT_BOTTOM = 270.0
Y_TICKS = 5
# Date labels are about 50 px wide; more than this many would overlap.
MAX_X_LABELS = 8

# Bar chart: one row per bar, the labels in a column of their own on the left.
BAR_LABEL_RIGHT = 152.0
BAR_LEFT = 160.0
BAR_RIGHT = 590.0
BAR_TOP = 32.0
BAR_ROW = 28.0
BAR_THICKNESS = 18.0
BAR_AXIS = 28.0
BAR_LABEL_CHARS = 22

# Heat map: a cell per (row, column), the colour scale under the grid.
HEAT_LEFT = 48.0
HEAT_TOP = 28.0
HEAT_ROW = 24.0
HEAT_RIGHT = 624.0
HEAT_LEGEND = 44.0
HEAT_STEPS = 6  # levels 1..6 for values above zero; level 0 is "none at all"

# Okabe–Ito colours: told apart by readers with the common colour-vision deficiencies. Lines
# also differ by dash pattern, so they are told apart in greyscale print too.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SERIES_DASHES = ("", "6 3", "2 3", "8 3 2 3")
HEAT_COLOURS = ("#f0f0f0", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
BAR_COLOUR = "#0072B2"
BAR_BELOW_TARGET_COLOUR = "#D55E00"

_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# Characters XML 1.0 forbids even when escaped; one in a queue name would break the page.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Table:
    """A chart's figures as text: `rows` line up with `headers`; no rows when there is no
    data."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """One chart: `svg` is well-formed markup with every text escaped, safe to show inline;
    `table` holds the same figures for the table view; `summary` is the one-line description
    the SVG carries in its `<desc>`."""

    chart_id: str
    title: str
    summary: str
    svg: str
    table: Table

    @property
    def is_empty(self) -> bool:
        return not self.table.rows


@dataclass(frozen=True)
class Series:
    """One line: a value per x label, `None` where there is none (a day with no resolved case
    has no median), which leaves a gap rather than a drop to zero."""

    name: str
    values: Sequence[float | None]


def nice_ticks(lo: float, hi: float, count: int = Y_TICKS, *, integer: bool = False) -> list[float]:
    """Round tick values covering [lo, hi], at most `count` + 1 of them, a step of 1, 2, 2.5
    or 5 times a power of ten; the first tick ≤ lo and the last ≥ hi. With `integer` (counts of
    cases) every step is a whole number: nobody has half a case."""
    if count < 2:
        raise ValueError("ticks need a count of at least 2")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("ticks need finite bounds")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        # A flat series still needs an axis with some height to stand on.
        if lo == 0:
            hi = 1.0
        else:
            pad = abs(lo) / 2
            lo, hi = lo - pad, hi + pad
    # The finest round step that needs no more than count + 1 ticks: the axis hugs the data
    # without crowding. Steps grow decade by decade, so the search ends.
    magnitude = 10.0 ** math.floor(math.log10((hi - lo) / count))
    if integer:
        magnitude = max(magnitude, 1.0)
    while True:
        for n in _NICE_STEPS:
            step = n * magnitude
            if integer and not step.is_integer():
                continue
            # The small allowances keep float noise (0.30000000000000004 / 0.1) from adding a
            # tick.
            first = math.floor(lo / step + 1e-9)
            last = math.ceil(hi / step - 1e-9)
            if last - first + 1 <= count + 1:
                decimals = max(0, 2 - math.floor(math.log10(step)))
                return [_clean(round(k * step, decimals)) for k in range(first, last + 1)]
        magnitude *= 10


def format_number(value: float, decimals: int = 1) -> str:
    """1204 → "1,204", 92.45 → "92.5" (at most `decimals` places, no trailing zeros)."""
    # Half up from the shortest decimal form, as a reader rounds: 71.25 → 71.3, not the 71.2
    # that binary floats and round-half-even would give.
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{exact:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def heat_level(value: float, top: float, steps: int = HEAT_STEPS) -> int:
    """The colour step of a heat-map cell: 0 for nothing, else 1..steps by the share of the
    busiest cell (`top`), each step an equal slice: with top 12, 1–2 → 1, 3–4 → 2, 12 → 6."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(steps, math.ceil(value * steps / top - 1e-9)))


def totals_summary(series: Sequence[Series], span: str) -> str:
    """A `<desc>` for counts: "Created 1,204, Resolved 1,150 over 30 days"."""
    totals = ", ".join(
        f"{s.name} {format_number(sum(v for v in s.values if v is not None))}" for s in series
    )
    return f"{totals} over {span}"


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    unit: str,
    chart_id: str,
    x_label: str = "Period",
    summary: str | None = None,
) -> Chart:
    """One or more lines over the same x labels (days, weeks), the y axis from zero (or the
    lowest value, if below zero) to a round number above the highest; a `None` value breaks
    its line. `unit` is "%", a short word ("h", "cases") or "" for plain numbers."""
    _check_id(chart_id)
    for s in series:
        if len(s.values) != len(x_labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(x_labels)}")
        _check_finite(s.values)
    headers = (x_label, *(_header(s.name, unit) for s in series))
    present = [v for s in series for v in s.values if v is not None]
    if not present:
        return _empty_chart(title, chart_id, headers, summary)

    rows = tuple((label, *(_cell(s.values[i]) for s in series)) for i, label in enumerate(x_labels))
    summary = summary or _range_summary(series, unit)
    ticks = nice_ticks(min(0.0, *present), max(0.0, *present), Y_TICKS, integer=_whole(present))
    y_of = _Scale(ticks[0], ticks[-1], PLOT_BOTTOM, PLOT_TOP)
    x_of = _Position(len(x_labels))
    step = ticks[1] - ticks[0]

    parts = [_grid_y(ticks, step, y_of), _axis_x(x_labels, x_of)]
    parts.append(
        _tag(
            "text",
            {
                "class": "chart-axis-title",
                "x": 14,
                "y": (PLOT_TOP + PLOT_BOTTOM) / 2,
                "transform": f"rotate(-90 14 {_num((PLOT_TOP + PLOT_BOTTOM) / 2)})",
                "text-anchor": "middle",
                "fill": "currentColor",
            },
            _escape(y_label),
        )
    )
    for index, s in enumerate(series):
        parts.append(_line_series(index, s, x_labels, unit, x_of, y_of))
    parts.append(_legend(series))
    body = "".join(parts)
    svg = _svg(chart_id, "chart-line", LINE_HEIGHT, title, summary, body)
    return Chart(chart_id, title, summary, svg, Table(title, headers, rows))


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    unit: str,
    chart_id: str,
    target: float | None = None,
    label_header: str = "Name",
    value_header: str = "Value",
    summary: str | None = None,
) -> Chart:
    """Horizontal bars from zero, one per label (SLA attainment per queue), with an optional
    dashed target line; a bar below the target has its own class. A `None` value (a queue
    with nothing due) shows as "no data", not as a zero bar. With unit "%" the axis runs to
    100 at least."""
    _check_id(chart_id)
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    _check_finite(values)
    if any(v is not None and v < 0 for v in values):
        raise ValueError("bars start at zero: values must not be negative")
    if target is not None and not (math.isfinite(target) and target >= 0):
        raise ValueError("the target must be a number of at least zero")
    headers: tuple[str, ...] = (label_header, _header(value_header, unit))
    if target is not None:
        headers = (*headers, f"Meets target ({_with_unit(format_number(target), unit)})")
    present = [v for v in values if v is not None]
    if not present:
        return _empty_chart(title, chart_id, headers, summary)

    rows = tuple(
        (label, _cell(v), *(() if target is None else (_meets(v, target),)))
        for label, v in zip(labels, values, strict=True)
    )
    summary = summary or _bar_summary(labels, values, unit, target)
    ticks = nice_ticks(
        0.0,
        max(*present, target or 0.0, 100.0 if unit == "%" else 0.0),
        integer=_whole([*present, target or 0.0]),
    )
    x_of = _Scale(0.0, ticks[-1], BAR_LEFT, BAR_RIGHT)
    height = BAR_TOP + len(labels) * BAR_ROW + BAR_AXIS
    plot_bottom = BAR_TOP + len(labels) * BAR_ROW

    parts = [_grid_x(ticks, ticks[1] - ticks[0], x_of, plot_bottom)]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        parts.append(_bar(index, label, value, unit, target, x_of))
    if target is not None:
        tx = x_of(target)
        parts.append(
            _tag(
                "g",
                {"class": "chart-target"},
                _tag(
                    "line",
                    {
                        "x1": tx,
                        "x2": tx,
                        "y1": BAR_TOP - 6,
                        "y2": plot_bottom,
                        "stroke": "currentColor",
                        "stroke-width": 1.5,
                        "stroke-dasharray": "4 3",
                    },
                )
                + _tag(
                    "text",
                    {"x": tx, "y": BAR_TOP - 10, "text-anchor": "middle", "fill": "currentColor"},
                    _escape(f"Target {_with_unit(format_number(target), unit)}"),
                ),
            )
        )
    svg = _svg(chart_id, "chart-bar", height, title, summary, "".join(parts))
    return Chart(chart_id, title, summary, svg, Table(title, headers, rows))


def heatmap(
    title: str,
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    chart_id: str,
    unit: str = "cases",
    row_header: str = "Day",
    summary: str | None = None,
) -> Chart:
    """A grid of cells (weekday × hour of created cases), each with class `heat-0` (none) …
    `heat-6` (the busiest sixth) and a `<title>` for hover; a matrix with nothing above zero
    is "no data" (no case was created)."""
    _check_id(chart_id)
    if len(values) != len(rows) or any(len(line) != len(cols) for line in values):
        raise ValueError(f"the heat map needs {len(rows)} rows of {len(cols)} values")
    for line in values:
        _check_finite(line)
        if any(v < 0 for v in line):
            raise ValueError("heat-map values must not be negative")
    headers = (row_header, *cols)
    top = max((v for line in values for v in line), default=0.0)
    if top <= 0:
        return _empty_chart(title, chart_id, headers, summary)

    table_rows = tuple(
        (label, *(format_number(v) for v in line)) for label, line in zip(rows, values, strict=True)
    )
    summary = summary or _heat_summary(rows, cols, values, unit)
    cell_w = (HEAT_RIGHT - HEAT_LEFT) / len(cols)
    grid_bottom = HEAT_TOP + len(rows) * HEAT_ROW
    height = grid_bottom + HEAT_LEGEND

    parts = []
    # A label needs about 7 px a character and some air; show every n-th when they'd crowd.
    widest = max((len(c) for c in cols), default=1)
    every = max(1, math.ceil((widest * 7 + 4) / cell_w))
    col_labels = "".join(
        _tag(
            "text",
            {"x": HEAT_LEFT + (j + 0.5) * cell_w, "y": HEAT_TOP - 8, "text-anchor": "middle"},
            _escape(c),
        )
        for j, c in enumerate(cols)
        if j % every == 0
    )
    row_labels = "".join(
        _tag(
            "text",
            {"x": HEAT_LEFT - 6, "y": HEAT_TOP + (i + 0.5) * HEAT_ROW + 4, "text-anchor": "end"},
            _escape(r),
        )
        for i, r in enumerate(rows)
    )
    parts.append(
        _tag("g", {"class": "chart-axis", "fill": "currentColor"}, col_labels + row_labels)
    )
    cells = []
    for i, (row, line) in enumerate(zip(rows, values, strict=True)):
        for j, (col, value) in enumerate(zip(cols, line, strict=True)):
            level = heat_level(value, top)
            cells.append(
                _tag(
                    "rect",
                    {
                        "class": f"heat-{level}",
                        "x": HEAT_LEFT + j * cell_w,
                        "y": HEAT_TOP + i * HEAT_ROW,
                        "width": cell_w,
                        "height": HEAT_ROW,
                        "fill": HEAT_COLOURS[level],
                        "stroke": "#ffffff",
                    },
                    _title(f"{row} {col}: {_with_unit(format_number(value), unit)}"),
                )
            )
    parts.append(_tag("g", {"class": "chart-cells"}, "".join(cells)))
    parts.append(_heat_legend(top, unit, grid_bottom))
    svg = _svg(chart_id, "chart-heatmap", height, title, summary, "".join(parts))
    return Chart(chart_id, title, summary, svg, Table(title, headers, table_rows))


# --- pieces of markup


def _svg(chart_id: str, kind: str, height: float, title: str, summary: str, body: str) -> str:
    return _tag(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "id": chart_id,
            "class": f"chart {kind}",
            "viewBox": f"0 0 {WIDTH} {_num(height)}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-family": "system-ui, sans-serif",
            "font-size": 12,
        },
        _tag("title", {"id": f"{chart_id}-title"}, _escape(title))
        + _tag("desc", {"id": f"{chart_id}-desc"}, _escape(summary))
        + body,
    )


def _empty_chart(title: str, chart_id: str, headers: tuple[str, ...], summary: str | None) -> Chart:
    summary = summary or NO_DATA
    body = _tag(
        "text",
        {
            "class": "chart-no-data",
            "x": WIDTH / 2,
            "y": 64,
            "text-anchor": "middle",
            "fill": "currentColor",
        },
        _escape(NO_DATA),
    )
    svg = _svg(chart_id, "chart-empty", 120, title, summary, body)
    return Chart(chart_id, title, summary, svg, Table(title, headers, ()))


def _grid_y(ticks: Sequence[float], step: float, y_of: _Scale) -> str:
    lines = []
    for tick in ticks:
        y = y_of(tick)
        lines.append(
            _tag(
                "line",
                {"x1": PLOT_LEFT, "x2": PLOT_RIGHT, "y1": y, "y2": y, "stroke": "#d0d0d0"},
            )
        )
        lines.append(
            _tag(
                "text",
                {"x": PLOT_LEFT - 6, "y": y + 4, "text-anchor": "end", "fill": "currentColor"},
                _escape(_tick_label(tick, step)),
            )
        )
    return _tag("g", {"class": "chart-grid chart-axis-y"}, "".join(lines))


def _axis_x(x_labels: Sequence[str], x_of: _Position) -> str:
    every = max(1, math.ceil(len(x_labels) / MAX_X_LABELS))
    marks = [
        _tag(
            "line",
            {"x1": PLOT_LEFT, "x2": PLOT_RIGHT, "y1": PLOT_BOTTOM, "y2": PLOT_BOTTOM},
        )
    ]
    for i, label in enumerate(x_labels):
        if i % every:
            continue
        x = x_of(i)
        marks.append(_tag("line", {"x1": x, "x2": x, "y1": PLOT_BOTTOM, "y2": PLOT_BOTTOM + 5}))
        marks.append(
            _tag(
                "text",
                {"x": x, "y": PLOT_BOTTOM + 20, "text-anchor": "middle", "stroke": "none"},
                _escape(label),
            )
        )
    return _tag(
        "g",
        {"class": "chart-axis chart-axis-x", "stroke": "currentColor", "fill": "currentColor"},
        "".join(marks),
    )


def _line_series(
    index: int,
    series: Series,
    x_labels: Sequence[str],
    unit: str,
    x_of: _Position,
    y_of: _Scale,
) -> str:
    colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
    dash = SERIES_DASHES[index % len(SERIES_DASHES)]
    lines = []
    for run in _runs(series.values):
        # A lone point between gaps has no line to draw; its marker below still shows it.
        if len(run) < 2:
            continue
        points = " ".join(f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in run)
        attrs: dict[str, str | float] = {"points": points, "fill": "none", "stroke-width": 2}
        if dash:
            attrs["stroke-dasharray"] = dash
        lines.append(_tag("polyline", attrs))
    markers = [
        _tag(
            "circle",
            {"cx": x_of(i), "cy": y_of(v), "r": 3},
            _title(f"{series.name}, {x_labels[i]}: {_with_unit(format_number(v), unit)}"),
        )
        for i, v in enumerate(series.values)
        if v is not None
    ]
    return _tag(
        "g",
        {"class": f"chart-series chart-series-{index}", "stroke": colour, "fill": colour},
        "".join(lines) + "".join(markers),
    )


def _legend(series: Sequence[Series]) -> str:
    items = []
    x = PLOT_LEFT
    for index, s in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        dash = SERIES_DASHES[index % len(SERIES_DASHES)]
        attrs: dict[str, str | float] = {
            "x1": x,
            "x2": x + 20,
            "y1": 14,
            "y2": 14,
            "stroke": colour,
            "stroke-width": 2,
        }
        if dash:
            attrs["stroke-dasharray"] = dash
        items.append(
            _tag(
                "g",
                {"class": f"chart-legend-item chart-series-{index}"},
                _tag("line", attrs)
                + _tag("text", {"x": x + 26, "y": 18, "fill": "currentColor"}, _escape(s.name)),
            )
        )
        x += 26 + 7 * len(s.name) + 18
    return _tag("g", {"class": "chart-legend"}, "".join(items))


def _grid_x(ticks: Sequence[float], step: float, x_of: _Scale, plot_bottom: float) -> str:
    marks = []
    for tick in ticks:
        x = x_of(tick)
        marks.append(
            _tag(
                "line",
                {"x1": x, "x2": x, "y1": BAR_TOP - 4, "y2": plot_bottom, "stroke": "#d0d0d0"},
            )
        )
        marks.append(
            _tag(
                "text",
                {"x": x, "y": plot_bottom + 18, "text-anchor": "middle", "fill": "currentColor"},
                _escape(_tick_label(tick, step)),
            )
        )
    return _tag("g", {"class": "chart-grid chart-axis-x"}, "".join(marks))


def _bar(
    index: int,
    label: str,
    value: float | None,
    unit: str,
    target: float | None,
    x_of: _Scale,
) -> str:
    top = BAR_TOP + index * BAR_ROW + (BAR_ROW - BAR_THICKNESS) / 2
    text_y = top + BAR_THICKNESS / 2 + 4
    shown = label if len(label) <= BAR_LABEL_CHARS else label[: BAR_LABEL_CHARS - 1] + "…"
    parts = [
        _title(f"{label}: {_with_unit(_cell(value), unit) if value is not None else MISSING}"),
        _tag(
            "text",
            {"x": BAR_LABEL_RIGHT, "y": text_y, "text-anchor": "end", "fill": "currentColor"},
            _escape(shown),
        ),
    ]
    below = target is not None and value is not None and value < target
    if value is None:
        parts.append(
            _tag(
                "text",
                {"class": "chart-no-data", "x": BAR_LEFT + 4, "y": text_y, "fill": "currentColor"},
                "no data",
            )
        )
    else:
        end = x_of(value)
        parts.append(
            _tag(
                "rect",
                {
                    "x": BAR_LEFT,
                    "y": top,
                    "width": end - BAR_LEFT,
                    "height": BAR_THICKNESS,
                    "fill": BAR_BELOW_TARGET_COLOUR if below else BAR_COLOUR,
                },
            )
        )
        shown_value = _with_unit(format_number(value), unit)
        # A value that would run off the right edge is written inside the end of its bar.
        if end + 4 + 7 * len(shown_value) > WIDTH:
            at: dict[str, str | float] = {"x": end - 4, "text-anchor": "end", "fill": "#ffffff"}
        else:
            at = {"x": end + 4, "fill": "currentColor"}
        parts.append(
            _tag("text", {"class": "chart-bar-value", "y": text_y, **at}, _escape(shown_value))
        )
    css = "chart-bar chart-bar-below-target" if below else "chart-bar"
    return _tag("g", {"class": css}, "".join(parts))


def _heat_legend(top: float, unit: str, grid_bottom: float) -> str:
    y = grid_bottom + 14
    # Room on the right for the word "More".
    left = HEAT_RIGHT - 40 - (HEAT_STEPS + 1) * 22
    parts = [_tag("text", {"x": left - 6, "y": y + 11, "text-anchor": "end"}, "Fewer")]
    for level in range(HEAT_STEPS + 1):
        if level == 0:
            hover = _with_unit("0", unit)
        else:
            hover = f"up to {_with_unit(format_number(top * level / HEAT_STEPS), unit)}"
        parts.append(
            _tag(
                "rect",
                {
                    "class": f"heat-{level}",
                    "x": left + level * 22,
                    "y": y,
                    "width": 20,
                    "height": 14,
                    "fill": HEAT_COLOURS[level],
                    "stroke": "#d0d0d0",
                },
                _title(hover),
            )
        )
    parts.append(_tag("text", {"x": left + (HEAT_STEPS + 1) * 22 + 4, "y": y + 11}, "More"))
    return _tag("g", {"class": "chart-legend", "fill": "currentColor"}, "".join(parts))


# --- summaries


def _range_summary(series: Sequence[Series], unit: str) -> str:
    parts = []
    for s in series:
        present = [v for v in s.values if v is not None]
        if not present:
            parts.append(f"{s.name}: no data")
            continue
        low, high = format_number(min(present)), format_number(max(present))
        parts.append(f"{s.name} from {low} to {_with_unit(high, unit)}")
    return "; ".join(parts)


def _bar_summary(
    labels: Sequence[str], values: Sequence[float | None], unit: str, target: float | None
) -> str:
    valued = [(v, label) for label, v in zip(labels, values, strict=True) if v is not None]
    low_value, low_label = min(valued, key=lambda pair: pair[0])
    lowest = f"lowest {low_label} at {_with_unit(format_number(low_value), unit)}"
    if target is not None:
        met = sum(1 for v, _ in valued if v >= target)
        goal = _with_unit(format_number(target), unit)
        return f"{met} of {len(valued)} met the {goal} target; {lowest}"
    high_value, high_label = max(valued, key=lambda pair: pair[0])
    return f"Highest {high_label} at {_with_unit(format_number(high_value), unit)}; {lowest}"


def _heat_summary(
    rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]], unit: str
) -> str:
    total = sum(v for line in values for v in line)
    value, i, j = max(
        ((v, i, j) for i, line in enumerate(values) for j, v in enumerate(line)),
        # The first busiest cell in reading order, so the summary is stable under ties.
        key=lambda cell: (cell[0], -cell[1], -cell[2]),
    )
    return (
        f"{_with_unit(format_number(total), unit)} in all; "
        f"busiest {rows[i]} {cols[j]} with {format_number(value)}"
    )


# --- small helpers


class _Scale:
    """A linear map from data values to one SVG axis."""

    def __init__(self, lo: float, hi: float, start: float, end: float) -> None:
        self.lo, self.hi, self.start, self.end = lo, hi, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


class _Position:
    """The x of the i-th of n evenly spread points; a single point stands in the middle."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __call__(self, index: int) -> float:
        if self.count == 1:
            return (PLOT_LEFT + PLOT_RIGHT) / 2
        return PLOT_LEFT + index * (PLOT_RIGHT - PLOT_LEFT) / (self.count - 1)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]


def _tag(name: str, attrs: Mapping[str, str | float], content: str | None = None) -> str:
    rendered = "".join(
        f' {key}="{_escape(value) if isinstance(value, str) else _num(value)}"'
        for key, value in attrs.items()
    )
    if content is None:
        return f"<{name}{rendered}/>"
    return f"<{name}{rendered}>{content}</{name}>"


def _title(text: str) -> str:
    return f"<title>{_escape(text)}</title>"


def _escape(text: str) -> str:
    return escape(_NOT_XML.sub("", text), quote=True)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _clean(value: float) -> float:
    # round() can leave -0.0, which would print as "-0" on an axis.
    return value + 0.0


def _tick_label(value: float, step: float) -> str:
    # As many places as the step has, so ticks 0, 2.5, 5, 7.5 don't print as 0, 2, 5, 8.
    decimals = len(format_number(step, 6).partition(".")[2])
    return format_number(value, decimals)


def _with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    # The app speaks English only; a plural unit word loses its "s" after exactly one.
    if text == "1" and unit.endswith("s"):
        unit = unit[:-1]
    return f"{text} {unit}"


def _header(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


def _cell(value: float | None) -> str:
    return MISSING if value is None else format_number(value)


def _meets(value: float | None, target: float) -> str:
    if value is None:
        return MISSING
    return "yes" if value >= target else "no"


def _whole(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def _check_id(chart_id: str) -> None:
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"chart id {chart_id!r}: a letter, then letters, digits, - or _")


def _check_finite(values: Sequence[float | None]) -> None:
    if any(v is not None and not math.isfinite(v) for v in values):
        raise ValueError("values must be finite numbers or None")
