"""The parts every chart of `reports.charts` is made of: its sizes and colours, the shapes it
returns (`Chart`, `Table`, `Series`), number formatting, and the small markup helpers that
escape every caller-given text (`escape_text`, `tag`), kept apart so the chart functions
read as what they draw."""

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
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


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


def format_number(value: float, decimals: int = 1) -> str:
    """1204 → "1,204", 92.45 → "92.5" (at most `decimals` places, no trailing zeros)."""
    # Half up from the shortest decimal form, as a reader rounds: 71.25 → 71.3, not the 71.2
    # that binary floats and round-half-even would give.
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{exact:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text




class Scale:
    """A linear map from data values to one SVG axis."""

    def __init__(self, lo: float, hi: float, start: float, end: float) -> None:
        self.lo, self.hi, self.start, self.end = lo, hi, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


class Position:
    """The x of the i-th of n evenly spread points; a single point stands in the middle."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __call__(self, index: int) -> float:
        if self.count == 1:
            return (PLOT_LEFT + PLOT_RIGHT) / 2
        return PLOT_LEFT + index * (PLOT_RIGHT - PLOT_LEFT) / (self.count - 1)


def runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]


def tag(name: str, attrs: Mapping[str, str | float], content: str | None = None) -> str:
    rendered = "".join(
        f' {key}="{escape_text(value) if isinstance(value, str) else num(value)}"'
        for key, value in attrs.items()
    )
    if content is None:
        return f"<{name}{rendered}/>"
    return f"<{name}{rendered}>{content}</{name}>"


def title_tag(text: str) -> str:
    return f"<title>{escape_text(text)}</title>"


def escape_text(text: str) -> str:
    return escape(_NOT_XML.sub("", text), quote=True)


def num(value: float) -> str:
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def clean(value: float) -> float:
    # round() can leave -0.0, which would print as "-0" on an axis.
    return value + 0.0


def tick_label(value: float, step: float) -> str:
    # As many places as the step has, so ticks 0, 2.5, 5, 7.5 don't print as 0, 2, 5, 8.
    decimals = len(format_number(step, 6).partition(".")[2])
    return format_number(value, decimals)


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
    if any(v is not None and not math.isfinite(v) for v in values):
        raise ValueError("values must be finite numbers or None")


# --- the one-line summaries each chart's <desc> and the page say


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
