"""The report pages' charts: plain functions, no database, that check the figures and describe
each chart for the page; the browser draws them with Chart.js (vendored under
`static/reports/vendor/`).

Each function returns a `Chart` for the include `reports/_chart.html`: the figures as a
`Table` (every number the picture shows, for the "data as a table" view and for pages read
without JavaScript) and, for lines and bars, a JSON-able Chart.js config (`spec`) that
`static/reports/charts.js` hands to Chart.js. Chart.js has no heat map, so the weekday × hour
heat map is an HTML table whose cells carry a colour step (`heat-0` … `heat-6`, styled in
`static/reports/reports.css`) beside their number: the table is its accessible form too.

Nothing here writes markup: the template escapes every text and `json_script` the spec, so a
queue named `<script>` stays text. Chart.js options that need a function (number formats in
tooltips, the target line of a bar chart) live in charts.js, keyed by the chart's `unit` and
the spec's `plugins.casedeskTarget`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from casedesk.reports.chart_parts import (
    BAR_AXIS,
    BAR_BELOW_TARGET_COLOUR,
    BAR_COLOUR,
    BAR_ROW,
    BAR_TOP,
    BAR_WIDTH,
    HEAT_STEPS,
    JSON,
    LINE_ASPECT,
    MISSING,
    NO_DATA,
    SERIES_COLOURS,
    SERIES_DASHES,
    TARGET_COLOUR,
    Chart,
    ChartKind,
    HeatCell,
    HeatGrid,
    HeatRow,
    HeatStep,
    Series,
    Table,
    bar_summary,
    cell,
    check_finite,
    check_id,
    format_number,
    header,
    heat_summary,
    meets,
    range_summary,
    whole,
    with_unit,
)

__all__ = ["MISSING", "NO_DATA", "Chart", "HeatGrid", "Series", "Table", "bar_chart",
           "format_number", "heat_level", "heatmap", "line_chart", "totals_summary"]


def heat_level(value: float, top: float, steps: int = HEAT_STEPS) -> int:
    """The colour step of a heat-map cell: 0 for nothing, else 1..steps by the share of the
    busiest cell (`top`), each step an equal slice: with top 12, 1–2 → 1, 3–4 → 2, 12 → 6."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(steps, math.ceil(value * steps / top - 1e-9)))


def totals_summary(series: Sequence[Series], span: str) -> str:
    """A summary for counts: "Created 1,204, Resolved 1,150 over 30 days"."""
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
    lowest value, if below zero); a `None` value breaks its line. `unit` is "%", a short word
    ("h", "cases") or "" for plain numbers."""
    check_id(chart_id)
    for s in series:
        if len(s.values) != len(x_labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(x_labels)}")
        check_finite(s.values)
    headers = (x_label, *(header(s.name, unit) for s in series))
    present = [v for s in series for v in s.values if v is not None]
    if not present:
        return _empty("line", title, chart_id, unit, headers, summary)

    rows = tuple((label, *(cell(s.values[i]) for s in series)) for i, label in enumerate(x_labels))
    datasets: list[JSON] = []
    for index, s in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        datasets.append(
            {
                "label": s.name,
                "data": list(s.values),
                "borderColor": colour,
                "backgroundColor": colour,
                "borderDash": list(SERIES_DASHES[index % len(SERIES_DASHES)]),
                "borderWidth": 2,
                "pointRadius": 3,
                # A missing value is a gap, not a line drawn across it.
                "spanGaps": False,
                "tension": 0,
            }
        )
    spec: dict[str, JSON] = {
        "type": "line",
        "data": {"labels": list(x_labels), "datasets": datasets},
        "options": {
            **_common_options(LINE_ASPECT),
            "interaction": {"mode": "index", "intersect": False},
            # The legend draws each line with its dash, not a filled box.
            "plugins": {
                "legend": {"labels": {"usePointStyle": True, "pointStyle": "line"}}
            },
            "scales": {
                "x": {"title": _axis_title(x_label), "ticks": {"maxRotation": 0}},
                "y": {
                    "beginAtZero": True,
                    "title": _axis_title(y_label),
                    "ticks": _value_ticks(present),
                },
            },
        },
    }
    return Chart(
        chart_id,
        "line",
        title,
        summary or range_summary(series, unit),
        unit,
        Table(title, headers, rows),
        spec=spec,
    )


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
    dashed target line; a bar below the target has its own colour. A `None` value (a queue
    with nothing due) has no bar and shows as "—" in the table, not as a zero. With unit "%"
    the axis runs to 100 at least."""
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
        return _empty("bar", title, chart_id, unit, headers, summary)

    rows = tuple(
        (label, cell(v), *(() if target is None else (meets(v, target),)))
        for label, v in zip(labels, values, strict=True)
    )
    colours: list[JSON] = [
        BAR_BELOW_TARGET_COLOUR if target is not None and v is not None and v < target
        else BAR_COLOUR
        for v in values
    ]
    # The axis reaches the target (so its line shows) and, for percentages, 100.
    reach = max(target or 0.0, 100.0 if unit == "%" else 0.0)
    value_axis: dict[str, JSON] = {
        "beginAtZero": True,
        "title": _axis_title(header(value_header, unit)),
        "ticks": _value_ticks([*present, target or 0.0]),
    }
    if reach:
        value_axis["suggestedMax"] = reach
    plugins: dict[str, JSON] = {"legend": {"display": False}}
    if target is not None:
        plugins["casedeskTarget"] = {
            "value": target,
            "label": f"Target {with_unit(format_number(target), unit)}",
            "colour": TARGET_COLOUR,
        }
    height = BAR_TOP + len(labels) * BAR_ROW + BAR_AXIS
    spec: dict[str, JSON] = {
        "type": "bar",
        "data": {
            "labels": list(labels),
            "datasets": [
                {
                    "label": header(value_header, unit),
                    "data": list(values),
                    "backgroundColor": colours,
                    "borderWidth": 0,
                    "maxBarThickness": 18,
                }
            ],
        },
        "options": {
            **_common_options(round(BAR_WIDTH / height, 3)),
            "indexAxis": "y",
            # Room above the bars for the target's label.
            "layout": {"padding": {"top": BAR_TOP if target is not None else 8}},
            "scales": {"x": value_axis, "y": {"title": _axis_title(label_header)}},
            "plugins": plugins,
        },
    }
    return Chart(
        chart_id,
        "bar",
        title,
        summary or bar_summary(labels, values, unit, target),
        unit,
        Table(title, headers, rows),
        spec=spec,
    )


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
    """A grid of cells (weekday × hour of created cases), each with its number and its level
    `heat-0` (none) … `heat-6` (the busiest sixth); a matrix with nothing above zero is "no
    data" (no case was created)."""
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
        return _empty("heatmap", title, chart_id, unit, headers, summary)

    grid_rows = tuple(
        HeatRow(
            row,
            tuple(
                HeatCell(
                    format_number(v),
                    heat_level(v, top),
                    f"{row} {col}: {with_unit(format_number(v), unit)}",
                )
                for col, v in zip(cols, line, strict=True)
            ),
        )
        for row, line in zip(rows, values, strict=True)
    )
    legend = (
        HeatStep(0, with_unit("0", unit)),
        *(
            HeatStep(level, f"up to {with_unit(format_number(top * level / HEAT_STEPS), unit)}")
            for level in range(1, HEAT_STEPS + 1)
        ),
    )
    table = Table(
        title, headers, tuple((r.label, *(c.text for c in r.cells)) for r in grid_rows)
    )
    return Chart(
        chart_id,
        "heatmap",
        title,
        summary or heat_summary(rows, cols, values, unit),
        unit,
        table,
        heat=HeatGrid(tuple(cols), grid_rows, legend),
    )


def _empty(
    kind: ChartKind,
    title: str,
    chart_id: str,
    unit: str,
    headers: tuple[str, ...],
    summary: str | None,
) -> Chart:
    # Nothing to draw: the page says so instead of showing empty axes.
    return Chart(chart_id, kind, title, summary or NO_DATA, unit, Table(title, headers, ()))


def _common_options(aspect: float) -> dict[str, JSON]:
    return {
        "responsive": True,
        "aspectRatio": aspect,
        # Drawn at once: nothing moves for readers who asked for reduced motion, and a chart
        # is complete as soon as it shows.
        "animation": False,
    }


def _axis_title(text: str) -> dict[str, JSON]:
    return {"display": bool(text), "text": text}


def _value_ticks(values: Sequence[float]) -> dict[str, JSON]:
    # Counts of cases get whole-number ticks: nobody has half a case.
    return {"precision": 0} if whole(values) else {}
