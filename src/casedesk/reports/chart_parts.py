"""The parts every chart of `reports.charts` is made of: the shapes it returns (`Chart`,
`Table`, `Series`, the heat map's grid), its colours and proportions, number formatting and
the one-line summaries, kept apart so the chart functions read as what they build."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

NO_DATA = "No data for this period"
# The text shown in a table cell where a value is missing: a blank cell is easy to misread as
# zero.
MISSING = "—"

# Okabe–Ito colours: told apart by readers with the common colour-vision deficiencies. Lines
# also differ by dash pattern (Chart.js `borderDash`, in px), so they are told apart in
# greyscale print too.
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SERIES_DASHES: tuple[tuple[int, ...], ...] = ((), (6, 3), (2, 3), (8, 3, 2, 3))
BAR_COLOUR = "#0072B2"
BAR_BELOW_TARGET_COLOUR = "#D55E00"
TARGET_COLOUR = "#1f2933"  # the page's ink (console.css `--ink`)

# Proportions, in the px of a 640-wide chart; Chart.js scales the canvas to its box and keeps
# the aspect ratio. A line chart is twice as wide as tall; a bar chart grows a row per bar,
# plus room above for the target's label and below for the axis and its title.
LINE_ASPECT = 2.0
BAR_WIDTH = 640
BAR_TOP = 32
BAR_ROW = 28
BAR_AXIS = 48

HEAT_STEPS = 6  # levels 1..6 for values above zero; level 0 is "none at all"

# The id of a chart's <figure>, and with "-spec" of its config's <script>.
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")

type JSON = str | int | float | bool | None | list[JSON] | dict[str, JSON]
type ChartKind = Literal["line", "bar", "heatmap"]


@dataclass(frozen=True)
class Table:
    """A chart's figures as text: `rows` line up with `headers`; no rows when there is no
    data."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Series:
    """One line: a value per x label, `None` where there is none (a day with no resolved case
    has no median), which leaves a gap rather than a drop to zero."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class HeatCell:
    """One cell of the heat map: the number shown, its colour step (`heat-<level>`) and the
    sentence a hover gives ("Mon 09: 12 cases")."""

    text: str
    level: int
    label: str


@dataclass(frozen=True)
class HeatRow:
    label: str
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True)
class HeatStep:
    """One swatch of the heat map's legend: its level and what it stands for ("up to 4
    cases")."""

    level: int
    label: str


@dataclass(frozen=True)
class HeatGrid:
    """The heat map, drawn as an HTML table (Chart.js has no heat map; a table is the
    accessible form anyway)."""

    columns: tuple[str, ...]
    rows: tuple[HeatRow, ...]
    legend: tuple[HeatStep, ...]


# eq=False: a spec is a dict, which a generated __hash__ could not hash.
@dataclass(frozen=True, eq=False)
class Chart:
    """One chart, ready for `reports/_chart.html`: `table` holds every figure it shows, as
    text; `spec` is the Chart.js config (JSON-able, drawn by `static/reports/charts.js`) of a
    line or bar chart, `heat` the grid of a heat map; both are None when there is no data.
    `summary` is the one-line description screen readers get for the picture. Texts are
    plain: the template escapes them (and `json_script` the spec)."""

    chart_id: str
    kind: ChartKind
    title: str
    summary: str
    unit: str
    table: Table
    spec: dict[str, JSON] | None = None
    heat: HeatGrid | None = None

    @property
    def is_empty(self) -> bool:
        return not self.table.rows

    @property
    def spec_id(self) -> str:
        """The id of the `<script type="application/json">` holding the spec."""
        return f"{self.chart_id}-spec"


def format_number(value: float, decimals: int = 1) -> str:
    """1204 → "1,204", 92.45 → "92.5" (at most `decimals` places, no trailing zeros)."""
    # Half up from the shortest decimal form, as a reader rounds: 71.25 → 71.3, not the 71.2
    # that binary floats and round-half-even would give.
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{exact:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    # The app speaks English only; a plural unit word loses its "s" after exactly one.
    if text == "1" and unit.endswith("s"):
        unit = unit[:-1]
    return f"{text} {unit}"


def header(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


def cell(value: float | None) -> str:
    return MISSING if value is None else format_number(value)


def meets(value: float | None, target: float) -> str:
    if value is None:
        return MISSING
    return "yes" if value >= target else "no"


def whole(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def check_id(chart_id: str) -> None:
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"chart id {chart_id!r}: a letter, then letters, digits, - or _")


def check_finite(values: Sequence[float | None]) -> None:
    # JSON has no NaN or Infinity: json_script would write a spec the browser cannot parse.
    if any(v is not None and not math.isfinite(v) for v in values):
        raise ValueError("values must be finite numbers or None")


# --- the one-line summaries a chart's picture is described by


def range_summary(series: Sequence[Series], unit: str) -> str:
    parts = []
    for s in series:
        present = [v for v in s.values if v is not None]
        if not present:
            parts.append(f"{s.name}: no data")
            continue
        low, high = format_number(min(present)), format_number(max(present))
        parts.append(f"{s.name} from {low} to {with_unit(high, unit)}")
    return "; ".join(parts)


def bar_summary(
    labels: Sequence[str], values: Sequence[float | None], unit: str, target: float | None
) -> str:
    valued = [(v, label) for label, v in zip(labels, values, strict=True) if v is not None]
    low_value, low_label = min(valued, key=lambda pair: pair[0])
    lowest = f"lowest {low_label} at {with_unit(format_number(low_value), unit)}"
    if target is not None:
        met = sum(1 for v, _ in valued if v >= target)
        goal = with_unit(format_number(target), unit)
        return f"{met} of {len(valued)} met the {goal} target; {lowest}"
    high_value, high_label = max(valued, key=lambda pair: pair[0])
    return f"Highest {high_label} at {with_unit(format_number(high_value), unit)}; {lowest}"


def heat_summary(
    rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]], unit: str
) -> str:
    total = sum(v for line in values for v in line)
    value, i, j = max(
        ((v, i, j) for i, line in enumerate(values) for j, v in enumerate(line)),
        # The first busiest cell in reading order, so the summary is stable under ties.
        key=lambda cell: (cell[0], -cell[1], -cell[2]),
    )
    return (
        f"{with_unit(format_number(total), unit)} in all; "
        f"busiest {rows[i]} {cols[j]} with {format_number(value)}"
    )
