"""Server-side SVG charts for the report pages: plain functions, no database, no JavaScript.

Each function returns a `Chart`: the SVG markup, ready to be placed inline in a page, and the
same figures as a `Table` for the "data as a table" view beside it, so a reader without sight
or without a mouse gets every number the picture shows.

The markup is made to survive a strict Content-Security-Policy: it never carries a `style`
attribute or a `<style>` element. Colours are SVG presentation attributes, which any CSS rule
on the page's classes (`chart-series-0`, `heat-3`, `chart-bar-below-target`, ...) overrides,
so the page may restyle a chart while a chart seen without the page's CSS still reads.

Every caller-given text is escaped by `chart_parts.escape_text` and nowhere else, so
`Chart.svg` may be marked safe by the template that shows it. Ids inside a chart are prefixed
with its `chart_id`, so two charts on one page never share an id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from casedesk.reports.chart_parts import (
    BAR_AXIS,
    BAR_BELOW_TARGET_COLOUR,
    BAR_COLOUR,
    BAR_LABEL_CHARS,
    BAR_LABEL_RIGHT,
    BAR_LEFT,
    BAR_RIGHT,
    BAR_ROW,
    BAR_THICKNESS,
    BAR_TOP,
    HEAT_COLOURS,
    HEAT_LEFT,
    HEAT_LEGEND,
    HEAT_RIGHT,
    HEAT_ROW,
    HEAT_STEPS,
    HEAT_TOP,
    LINE_HEIGHT,
    MAX_X_LABELS,
    MISSING,
    NICE_STEPS,
    NO_DATA,
    PLOT_BOTTOM,
    PLOT_LEFT,
    PLOT_RIGHT,
    PLOT_TOP,
    SERIES_COLOURS,
    SERIES_DASHES,
    WIDTH,
    Y_TICKS,
    Chart,
    Position,
    Scale,
    Series,
    Table,
    bar_summary,
    cell,
    check_finite,
    check_id,
    clean,
    escape_text,
    format_number,
    header,
    heat_summary,
    meets,
    num,
    range_summary,
    runs,
    tag,
    tick_label,
    title_tag,
    whole,
    with_unit,
)

__all__ = ["MISSING", "NO_DATA", "Chart", "Series", "Table", "bar_chart", "format_number",
           "heat_level", "heatmap", "line_chart", "nice_ticks", "totals_summary"]

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
        for n in NICE_STEPS:
            step = n * magnitude
            if integer and not step.is_integer():
                continue
            # The small allowances keep float noise (0.30000000000000004 / 0.1) from adding a
            # tick.
            first = math.floor(lo / step + 1e-9)
            last = math.ceil(hi / step - 1e-9)
            if last - first + 1 <= count + 1:
                decimals = max(0, 2 - math.floor(math.log10(step)))
                return [clean(round(k * step, decimals)) for k in range(first, last + 1)]
        magnitude *= 10


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
    check_id(chart_id)
    for s in series:
        if len(s.values) != len(x_labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(x_labels)}")
        check_finite(s.values)
    headers = (x_label, *(header(s.name, unit) for s in series))
    present = [v for s in series for v in s.values if v is not None]
    if not present:
        return _empty_chart(title, chart_id, headers, summary)

    rows = tuple((label, *(cell(s.values[i]) for s in series)) for i, label in enumerate(x_labels))
    summary = summary or range_summary(series, unit)
    ticks = nice_ticks(min(0.0, *present), max(0.0, *present), Y_TICKS, integer=whole(present))
    y_of = Scale(ticks[0], ticks[-1], PLOT_BOTTOM, PLOT_TOP)
    x_of = Position(len(x_labels))
    step = ticks[1] - ticks[0]

    parts = [_grid_y(ticks, step, y_of), _axis_x(x_labels, x_of)]
    parts.append(
        tag(
            "text",
            {
                "class": "chart-axis-title",
                "x": 14,
                "y": (PLOT_TOP + PLOT_BOTTOM) / 2,
                "transform": f"rotate(-90 14 {num((PLOT_TOP + PLOT_BOTTOM) / 2)})",
                "text-anchor": "middle",
                "fill": "currentColor",
            },
            escape_text(y_label),
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
    check_id(chart_id)
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    check_finite(values)
    if any(v is not None and v < 0 for v in values):
        raise ValueError("bars start at zero: values must not be negative")
    if target is not None and not (math.isfinite(target) and target >= 0):
        raise ValueError("the target must be a number of at least zero")
    headers: tuple[str, ...] = (label_header, header(value_header, unit))
    if target is not None:
        headers = (*headers, f"Meets target ({with_unit(format_number(target), unit)})")
    present = [v for v in values if v is not None]
    if not present:
        return _empty_chart(title, chart_id, headers, summary)

    rows = tuple(
        (label, cell(v), *(() if target is None else (meets(v, target),)))
        for label, v in zip(labels, values, strict=True)
    )
    summary = summary or bar_summary(labels, values, unit, target)
    ticks = nice_ticks(
        0.0,
        max(*present, target or 0.0, 100.0 if unit == "%" else 0.0),
        integer=whole([*present, target or 0.0]),
    )
    x_of = Scale(0.0, ticks[-1], BAR_LEFT, BAR_RIGHT)
    height = BAR_TOP + len(labels) * BAR_ROW + BAR_AXIS
    plot_bottom = BAR_TOP + len(labels) * BAR_ROW

    parts = [_grid_x(ticks, ticks[1] - ticks[0], x_of, plot_bottom)]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        parts.append(_bar(index, label, value, unit, target, x_of))
    if target is not None:
        tx = x_of(target)
        parts.append(
            tag(
                "g",
                {"class": "chart-target"},
                tag(
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
                + tag(
                    "text",
                    {"x": tx, "y": BAR_TOP - 10, "text-anchor": "middle", "fill": "currentColor"},
                    escape_text(f"Target {with_unit(format_number(target), unit)}"),
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
    check_id(chart_id)
    if len(values) != len(rows) or any(len(line) != len(cols) for line in values):
        raise ValueError(f"the heat map needs {len(rows)} rows of {len(cols)} values")
    for line in values:
        check_finite(line)
        if any(v < 0 for v in line):
            raise ValueError("heat-map values must not be negative")
    headers = (row_header, *cols)
    top = max((v for line in values for v in line), default=0.0)
    if top <= 0:
        return _empty_chart(title, chart_id, headers, summary)

    table_rows = tuple(
        (label, *(format_number(v) for v in line)) for label, line in zip(rows, values, strict=True)
    )
    summary = summary or heat_summary(rows, cols, values, unit)
    cell_w = (HEAT_RIGHT - HEAT_LEFT) / len(cols)
    grid_bottom = HEAT_TOP + len(rows) * HEAT_ROW
    height = grid_bottom + HEAT_LEGEND

    parts = []
    # A label needs about 7 px a character and some air; show every n-th when they'd crowd.
    widest = max((len(c) for c in cols), default=1)
    every = max(1, math.ceil((widest * 7 + 4) / cell_w))
    col_labels = "".join(
        tag(
            "text",
            {"x": HEAT_LEFT + (j + 0.5) * cell_w, "y": HEAT_TOP - 8, "text-anchor": "middle"},
            escape_text(c),
        )
        for j, c in enumerate(cols)
        if j % every == 0
    )
    row_labels = "".join(
        tag(
            "text",
            {"x": HEAT_LEFT - 6, "y": HEAT_TOP + (i + 0.5) * HEAT_ROW + 4, "text-anchor": "end"},
            escape_text(r),
        )
        for i, r in enumerate(rows)
    )
    parts.append(
        tag("g", {"class": "chart-axis", "fill": "currentColor"}, col_labels + row_labels)
    )
    cells = []
    for i, (row, line) in enumerate(zip(rows, values, strict=True)):
        for j, (col, value) in enumerate(zip(cols, line, strict=True)):
            level = heat_level(value, top)
            cells.append(
                tag(
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
                    title_tag(f"{row} {col}: {with_unit(format_number(value), unit)}"),
                )
            )
    parts.append(tag("g", {"class": "chart-cells"}, "".join(cells)))
    parts.append(_heat_legend(top, unit, grid_bottom))
    svg = _svg(chart_id, "chart-heatmap", height, title, summary, "".join(parts))
    return Chart(chart_id, title, summary, svg, Table(title, headers, table_rows))


# --- pieces of markup


def _svg(chart_id: str, kind: str, height: float, title: str, summary: str, body: str) -> str:
    return tag(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "id": chart_id,
            "class": f"chart {kind}",
            "viewBox": f"0 0 {WIDTH} {num(height)}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "font-family": "system-ui, sans-serif",
            "font-size": 12,
        },
        tag("title", {"id": f"{chart_id}-title"}, escape_text(title))
        + tag("desc", {"id": f"{chart_id}-desc"}, escape_text(summary))
        + body,
    )


def _empty_chart(title: str, chart_id: str, headers: tuple[str, ...], summary: str | None) -> Chart:
    summary = summary or NO_DATA
    body = tag(
        "text",
        {
            "class": "chart-no-data",
            "x": WIDTH / 2,
            "y": 64,
            "text-anchor": "middle",
            "fill": "currentColor",
        },
        escape_text(NO_DATA),
    )
    svg = _svg(chart_id, "chart-empty", 120, title, summary, body)
    return Chart(chart_id, title, summary, svg, Table(title, headers, ()))


def _grid_y(ticks: Sequence[float], step: float, y_of: Scale) -> str:
    lines = []
    for tick in ticks:
        y = y_of(tick)
        lines.append(
            tag(
                "line",
                {"x1": PLOT_LEFT, "x2": PLOT_RIGHT, "y1": y, "y2": y, "stroke": "#d0d0d0"},
            )
        )
        lines.append(
            tag(
                "text",
                {"x": PLOT_LEFT - 6, "y": y + 4, "text-anchor": "end", "fill": "currentColor"},
                escape_text(tick_label(tick, step)),
            )
        )
    return tag("g", {"class": "chart-grid chart-axis-y"}, "".join(lines))


def _axis_x(x_labels: Sequence[str], x_of: Position) -> str:
    every = max(1, math.ceil(len(x_labels) / MAX_X_LABELS))
    marks = [
        tag(
            "line",
            {"x1": PLOT_LEFT, "x2": PLOT_RIGHT, "y1": PLOT_BOTTOM, "y2": PLOT_BOTTOM},
        )
    ]
    for i, label in enumerate(x_labels):
        if i % every:
            continue
        x = x_of(i)
        marks.append(tag("line", {"x1": x, "x2": x, "y1": PLOT_BOTTOM, "y2": PLOT_BOTTOM + 5}))
        marks.append(
            tag(
                "text",
                {"x": x, "y": PLOT_BOTTOM + 20, "text-anchor": "middle", "stroke": "none"},
                escape_text(label),
            )
        )
    return tag(
        "g",
        {"class": "chart-axis chart-axis-x", "stroke": "currentColor", "fill": "currentColor"},
        "".join(marks),
    )


def _line_series(
    index: int,
    series: Series,
    x_labels: Sequence[str],
    unit: str,
    x_of: Position,
    y_of: Scale,
) -> str:
    colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
    dash = SERIES_DASHES[index % len(SERIES_DASHES)]
    lines = []
    for run in runs(series.values):
        # A lone point between gaps has no line to draw; its marker below still shows it.
        if len(run) < 2:
            continue
        points = " ".join(f"{num(x_of(i))},{num(y_of(v))}" for i, v in run)
        attrs: dict[str, str | float] = {"points": points, "fill": "none", "stroke-width": 2}
        if dash:
            attrs["stroke-dasharray"] = dash
        lines.append(tag("polyline", attrs))
    markers = [
        tag(
            "circle",
            {"cx": x_of(i), "cy": y_of(v), "r": 3},
            title_tag(f"{series.name}, {x_labels[i]}: {with_unit(format_number(v), unit)}"),
        )
        for i, v in enumerate(series.values)
        if v is not None
    ]
    return tag(
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
            tag(
                "g",
                {"class": f"chart-legend-item chart-series-{index}"},
                tag("line", attrs)
                + tag("text", {"x": x + 26, "y": 18, "fill": "currentColor"}, escape_text(s.name)),
            )
        )
        x += 26 + 7 * len(s.name) + 18
    return tag("g", {"class": "chart-legend"}, "".join(items))


def _grid_x(ticks: Sequence[float], step: float, x_of: Scale, plot_bottom: float) -> str:
    marks = []
    for tick in ticks:
        x = x_of(tick)
        marks.append(
            tag(
                "line",
                {"x1": x, "x2": x, "y1": BAR_TOP - 4, "y2": plot_bottom, "stroke": "#d0d0d0"},
            )
        )
        marks.append(
            tag(
                "text",
                {"x": x, "y": plot_bottom + 18, "text-anchor": "middle", "fill": "currentColor"},
                escape_text(tick_label(tick, step)),
            )
        )
    return tag("g", {"class": "chart-grid chart-axis-x"}, "".join(marks))


def _bar(
    index: int,
    label: str,
    value: float | None,
    unit: str,
    target: float | None,
    x_of: Scale,
) -> str:
    top = BAR_TOP + index * BAR_ROW + (BAR_ROW - BAR_THICKNESS) / 2
    text_y = top + BAR_THICKNESS / 2 + 4
    shown = label if len(label) <= BAR_LABEL_CHARS else label[: BAR_LABEL_CHARS - 1] + "…"
    parts = [
        title_tag(f"{label}: {with_unit(cell(value), unit) if value is not None else MISSING}"),
        tag(
            "text",
            {"x": BAR_LABEL_RIGHT, "y": text_y, "text-anchor": "end", "fill": "currentColor"},
            escape_text(shown),
        ),
    ]
    below = target is not None and value is not None and value < target
    if value is None:
        parts.append(
            tag(
                "text",
                {"class": "chart-no-data", "x": BAR_LEFT + 4, "y": text_y, "fill": "currentColor"},
                "no data",
            )
        )
    else:
        end = x_of(value)
        parts.append(
            tag(
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
        shown_value = with_unit(format_number(value), unit)
        # A value that would run off the right edge is written inside the end of its bar.
        if end + 4 + 7 * len(shown_value) > WIDTH:
            at: dict[str, str | float] = {"x": end - 4, "text-anchor": "end", "fill": "#ffffff"}
        else:
            at = {"x": end + 4, "fill": "currentColor"}
        parts.append(
            tag("text", {"class": "chart-bar-value", "y": text_y, **at}, escape_text(shown_value))
        )
    css = "chart-bar chart-bar-below-target" if below else "chart-bar"
    return tag("g", {"class": css}, "".join(parts))


def _heat_legend(top: float, unit: str, grid_bottom: float) -> str:
    y = grid_bottom + 14
    # Room on the right for the word "More".
    left = HEAT_RIGHT - 40 - (HEAT_STEPS + 1) * 22
    parts = [tag("text", {"x": left - 6, "y": y + 11, "text-anchor": "end"}, "Fewer")]
    for level in range(HEAT_STEPS + 1):
        if level == 0:
            hover = with_unit("0", unit)
        else:
            hover = f"up to {with_unit(format_number(top * level / HEAT_STEPS), unit)}"
        parts.append(
            tag(
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
                title_tag(hover),
            )
        )
    parts.append(tag("text", {"x": left + (HEAT_STEPS + 1) * 22 + 4, "y": y + 11}, "More"))
    return tag("g", {"class": "chart-legend", "fill": "currentColor"}, "".join(parts))
