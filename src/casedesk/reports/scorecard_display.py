"""The scorecard and the agent and queue reports as people read them: pure functions from
the figures (`reports.scorecard`) to what the pages show and download.

- Tiles: each figure with the previous period's and the change (arrow and %, or percentage
  points for rates; whether up is good), durations as "1 h 30 min", and the link to the
  console's case list filtered to the cases behind the figure, with the same meaning
  (`cases.selectors.CaseFilters`): the period's local days as a date range on the moment
  the figure counts (created, resolved, first response, ...).
- Charts (`reports.charts`): volume, backlog, first-response and resolution medians, CSAT
  by day, SLA attainment by queue, the weekday × hour heat map.
- CSV tables: plain numbers (seconds, percent), names guarded against spreadsheet formulas
  (`compliance_csv.guard_cell`).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.reports import charts
from casedesk.reports.aggregates import Spread
from casedesk.reports.chart_parts import format_number
from casedesk.reports.compliance_csv import guard_cell
from casedesk.reports.facts import change
from casedesk.reports.periods import Period
from casedesk.reports.scorecard import (
    TARGETS,
    Figures,
    GroupRow,
    ReportFilters,
    Scorecard,
    TargetFigures,
)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TARGET_LABELS = {"first_response": "First response", "resolution": "Resolution"}
MISSING = "—"


# Durations and changes, as people read them -------------------------------------------


def human_duration(seconds: float | None) -> str:
    """45 → "45 s", 5400 → "1 h 30 min", 93600 → "1 d 2 h"; "—" for none."""
    if seconds is None:
        return MISSING
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(round(seconds / 3600), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def percent(fraction: float | None) -> str:
    return MISSING if fraction is None else f"{format_number(fraction * 100)}%"


@dataclass(frozen=True)
class Change:
    """How a figure moved since the previous period: `text` shown ("↑ 12%", "↓ 3.5 pts"),
    `words` for screen readers, and whether that is `better`, `worse` or neither ("")."""

    text: str
    words: str
    verdict: str


def figure_change(kind: str, current: float | None, previous: float | None,
                  better: int) -> Change:
    """Counts and durations change in percent of the previous figure; rates (fractions) in
    percentage points, which is how a rate's move is read ("92% → 95%" is 3 points)."""
    if kind == "rate":
        delta = None if current is None or previous is None else (current - previous) * 100
        unit, spoken = " pts", " points"
    else:
        relative = change(current, previous)
        delta = None if relative is None else relative * 100
        unit, spoken = "%", " percent"
    if delta is None:
        return Change(MISSING, "no previous figure to compare", "")
    shown = format_number(abs(delta))
    if shown == "0":
        return Change("→ 0" + unit, "unchanged", "")
    direction = 1 if delta > 0 else -1
    verdict = "" if not better else ("better" if direction == better else "worse")
    arrow, word = ("↑", "up") if direction > 0 else ("↓", "down")
    return Change(f"{arrow} {shown}{unit}", f"{word} {shown}{spoken}", verdict)


# The tiles ---------------------------------------------------------------------------


def _span(moment: str, period: Period) -> dict[str, str]:
    """The case list's date range on `moment` covering the period's local days."""
    return {f"{moment}_after": period.first.isoformat(),
            f"{moment}_before": period.last.isoformat()}


@dataclass(frozen=True)
class FigureDef:
    """One figure of the scorecard: where it is read, how it is shown (`kind`: count,
    duration in seconds, or rate as a fraction), whether up is good (+1), down (-1) or
    neither (0), and the case-list filters of the cases behind it in a period."""

    key: str
    section: str
    label: str
    kind: str
    read: Callable[[Figures], float | None]
    better: int
    cases: Callable[[Period], dict[str, str]] | None = None
    detail: Callable[[Figures], str] | None = None


def _sla(target: str) -> Callable[[Figures], float | None]:
    return lambda f: f.sla[target].attainment


def _sla_detail(target: str) -> Callable[[Figures], str]:
    def detail(f: Figures) -> str:
        t = f.sla[target]
        return f"{t.breached:,} breached of {t.met + t.breached:,} due"
    return detail


def _sla_cases(target: str) -> Callable[[Period], dict[str, str]]:
    return lambda p: {**_span("created", p), "sla_result": f"{target}_breached"}


def _spread(read: Callable[[Figures], Spread], which: str) -> Callable[[Figures], float | None]:
    return lambda f: getattr(read(f), which)


def _durations(key: str, section: str, hours: str, read: Callable[[Figures], Spread],
               moment: str, what: str) -> list[FigureDef]:
    return [FigureDef(f"{key}_{which}", section, f"{name}{hours}", "duration",
                      _spread(read, which), -1, lambda p: _span(moment, p),
                      lambda f: f"over {read(f).count:,} {what}")
            for which, name in (("median", "Median"), ("p90", "90th percentile"))]


FIGURES: tuple[FigureDef, ...] = (
    FigureDef("created", "Volume", "Created", "count", lambda f: f.created, 0,
              lambda p: _span("created", p)),
    FigureDef("resolved", "Volume", "Resolved", "count", lambda f: f.resolved, 1,
              lambda p: _span("resolved", p)),
    FigureDef("closed", "Volume", "Closed", "count", lambda f: f.closed, 0,
              lambda p: _span("closed", p)),
    FigureDef("backlog", "Volume", "Backlog at period end", "count", lambda f: f.backlog, -1,
              lambda p: {"open_on": p.last.isoformat()}),
    *(FigureDef(f"sla_{t}", "SLA", f"{TARGET_LABELS[t]} met", "rate", _sla(t), 1,
                _sla_cases(t), _sla_detail(t)) for t in TARGETS),
    *_durations("first_response", "First response time", "", lambda f: f.first_response,
                "responded", "first responses"),
    *_durations("first_response_business", "First response time", ", business hours",
                lambda f: f.first_response_business, "responded", "first responses"),
    *_durations("resolution", "Resolution time", "", lambda f: f.resolution, "resolved",
                "resolved cases"),
    FigureDef("reopen_rate", "Quality", "Re-open rate", "rate", lambda f: f.reopen_rate, -1,
              lambda p: {**_span("resolved", p), "reopened": "on"},
              lambda f: f"{f.reopened:,} of {f.resolved:,} resolved"),
    FigureDef("one_touch_rate", "Quality", "One-touch resolution", "rate",
              lambda f: f.one_touch_rate, 1,
              lambda p: {**_span("resolved", p), "one_touch": "on"},
              lambda f: f"{f.one_touch:,} of {f.resolved:,} resolved"),
    FigureDef("csat", "Quality", "CSAT (satisfied)", "rate", lambda f: f.csat_score, 1,
              lambda p: {**_span("rated", p), "csat": "rated"},
              lambda f: f"{f.csat_satisfied:,} of {f.csat_rated:,} answers"),
    FigureDef("deflection", "Quality", "Deflection (knowledge base)", "rate",
              lambda f: f.deflection.deflection_rate, 1, None,
              lambda f: f"{f.deflection.solved + f.deflection.self_service_deflections:,} "
                        "deflected"),
)


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    previous: str
    change: Change
    hint: str
    detail: str
    href: str | None


def show(kind: str, value: float | None) -> str:
    if kind == "duration":
        return human_duration(value)
    if kind == "rate":
        return percent(value)
    return MISSING if value is None else f"{round(value):,}"


def case_list_query(filters: ReportFilters) -> dict[str, str]:
    """The report's filters as the case list names them."""
    query: dict[str, str] = {}
    for name, value in (("queue", filters.queue_id), ("team", filters.team_id),
                        ("owner", filters.owner_id), ("category", filters.category),
                        ("source", filters.source), ("tier", filters.tier)):
        if value not in (None, ""):
            query[name] = str(value)
    if filters.priority is not None:
        query["priority"] = PRIORITY_BY_RUNG[filters.priority]
    return query


def case_list_url(filters: ReportFilters, extra: dict[str, str]) -> str:
    return f"{reverse('console:case_list')}?{urlencode({**case_list_query(filters), **extra})}"


def tiles(card: Scorecard, *, deflection_href: str | None) -> list[tuple[str, list[Tile]]]:
    """The scorecard's tiles by section, in `FIGURES` order."""
    sections: dict[str, list[Tile]] = {}
    narrowed = bool(card.filters.as_query())
    for fig in FIGURES:
        now, before = fig.read(card.current), fig.read(card.previous)
        detail = fig.detail(card.current) if fig.detail else ""
        href = case_list_url(card.filters, fig.cases(card.period)) if fig.cases else None
        if fig.key == "deflection":
            href = deflection_href
            if narrowed:
                detail += " · tenant-wide: articles know no queue or agent"
        sections.setdefault(fig.section, []).append(Tile(
            key=fig.key, label=fig.label, value=show(fig.kind, now),
            previous=show(fig.kind, before),
            change=figure_change(fig.kind, now, before, fig.better),
            hint={1: "higher is better", -1: "lower is better"}.get(fig.better, ""),
            detail=detail, href=href))
    return list(sections.items())


# Charts --------------------------------------------------------------------------------


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def scorecard_charts(card: Scorecard) -> dict[str, charts.Chart]:
    days = card.days
    labels = [f"{d.day:%a %-d %b}" for d in days]
    return {
        "volume": charts.line_chart(
            "Cases created and resolved by day", labels,
            [charts.Series("Created", [d.created for d in days]),
             charts.Series("Resolved", [d.resolved for d in days])],
            y_label="Cases", unit="cases", chart_id="volume", x_label="Day"),
        "backlog": charts.line_chart(
            "Backlog at the end of each day", labels,
            [charts.Series("Open cases", [d.backlog for d in days])],
            y_label="Cases", unit="cases", chart_id="backlog", x_label="Day"),
        "first_response": charts.line_chart(
            "First response time, median by day", labels,
            [charts.Series("Median", [_minutes(d.first_response_median) for d in days])],
            y_label="Minutes", unit="min", chart_id="frt-trend", x_label="Day"),
        "resolution": charts.line_chart(
            "Resolution time, median by day", labels,
            [charts.Series("Median", [_hours(d.resolution_median) for d in days])],
            y_label="Hours", unit="h", chart_id="resolution-trend", x_label="Day"),
        "sla": charts.bar_chart(
            "SLA attainment by queue (all targets)", [q.name for q in card.sla_by_queue],
            [_combined(q.sla) for q in card.sla_by_queue], unit="%",
            chart_id="sla-by-queue", label_header="Queue", value_header="Met"),
        "csat": charts.line_chart(
            "Satisfied answers by day", labels,
            [charts.Series("Satisfied", [None if d.csat_score is None
                                         else round(d.csat_score * 100, 1) for d in days])],
            y_label="%", unit="%", chart_id="csat-trend", x_label="Day"),
        "heat": charts.heatmap(
            "Cases created by weekday and hour", WEEKDAYS,
            [f"{h:02d}" for h in range(24)], card.heat, chart_id="heat"),
    }


def _combined(sla: dict[str, TargetFigures]) -> float | None:
    """Met as a share of all targets that came due, in percent (the bar per queue)."""
    met = sum(t.met for t in sla.values())
    due = met + sum(t.breached for t in sla.values())
    return round(met * 100 / due, 1) if due else None


# CSV -----------------------------------------------------------------------------------


def _num(value: float | None, decimals: int = 2) -> str:
    if value is None:
        return ""
    return str(round(value)) if float(value).is_integer() else f"{value:.{decimals}f}"


def _pct(fraction: float | None) -> str:
    return "" if fraction is None else f"{fraction * 100:.2f}"


def _figures_rows(card: Scorecard) -> tuple[list[str], Iterable[Sequence[str]]]:
    """Durations in seconds, rates in percent; the change as on the tiles (percent of the
    previous figure, or percentage points for rates)."""
    header = ["figure", "unit", "current", "previous", "change", "change_unit"]
    rows = []
    for fig in FIGURES:
        now, before = fig.read(card.current), fig.read(card.previous)
        if fig.kind == "rate":
            cur, prev, unit = _pct(now), _pct(before), "percent"
            moved = None if now is None or before is None else (now - before) * 100
            moved_unit = "points"
        else:
            cur, prev = _num(now), _num(before)
            unit = "seconds" if fig.kind == "duration" else "cases"
            relative = change(now, before)
            moved, moved_unit = (None if relative is None else relative * 100), "percent"
        rows.append([fig.key, unit, cur, prev, _num(moved), moved_unit])
    return header, rows


def _days_rows(card: Scorecard) -> tuple[list[str], Iterable[Sequence[str]]]:
    header = ["day", "created", "resolved", "backlog", "first_response_median_seconds",
              "resolution_median_seconds", "csat_answers", "csat_satisfied",
              "csat_satisfied_percent"]
    return header, ([d.day.isoformat(), str(d.created), str(d.resolved), str(d.backlog),
                     _num(d.first_response_median), _num(d.resolution_median),
                     str(d.csat_rated), str(d.csat_satisfied), _pct(d.csat_score)]
                    for d in card.days)


def _heat_rows(card: Scorecard) -> tuple[list[str], Iterable[Sequence[str]]]:
    header = ["weekday", *(f"{h:02d}" for h in range(24))]
    return header, ([day, *(str(n) for n in row)] for day, row in zip(WEEKDAYS, card.heat,
                                                                       strict=True))


def _sla_rows(card: Scorecard) -> tuple[list[str], Iterable[Sequence[str]]]:
    header = ["queue", "target", "met", "breached", "pending", "attainment_percent"]
    return header, ([guard_cell(q.name), target, str(t.met), str(t.breached), str(t.pending),
                     _pct(t.attainment)]
                    for q in card.sla_by_queue for target, t in q.sla.items())


SCORECARD_TABLES: dict[str, Callable[[Scorecard], tuple[list[str], Iterable[Sequence[str]]]]]
SCORECARD_TABLES = {"figures": _figures_rows, "days": _days_rows, "heat": _heat_rows,
                    "sla_by_queue": _sla_rows}


def group_rows(rows: list[GroupRow], *, by_queue: bool
               ) -> tuple[list[str], Iterable[Sequence[str]]]:
    header = ["queue" if by_queue else "agent", "assigned", "resolved",
              "first_response_median_seconds", "resolution_median_seconds",
              "sla_met_percent", "csat_answers", "csat_satisfied_percent", "open_now"]
    if by_queue:
        header.append("claim_wait_median_seconds")
    return header, ([guard_cell(r.name), str(r.assigned), str(r.resolved),
                     _num(r.first_response.median), _num(r.resolution.median),
                     _pct(r.sla_attainment), str(r.csat_rated), _pct(r.csat_score),
                     str(r.open_now), *([_num(r.claim_wait.median)] if by_queue else [])]
                    for r in rows)


# The pages' tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRow:
    queue: str
    target: str
    met: int
    breached: int
    pending: int
    attainment: str


def sla_table(card: Scorecard) -> list[SlaRow]:
    return [SlaRow(q.name, TARGET_LABELS[target], t.met, t.breached, t.pending,
                   percent(t.attainment))
            for q in card.sla_by_queue for target, t in q.sla.items()]


@dataclass(frozen=True)
class GroupLine:
    """One row of the agent or queue report, ready to show, with its links."""

    row: GroupRow
    first_response: str
    resolution: str
    sla: str
    csat: str
    claim_wait: str
    cases_href: str
    assigned_href: str
    resolved_href: str
    open_href: str


def group_lines(rows: list[GroupRow], filters: ReportFilters, period: Period, *,
                by_queue: bool) -> list[GroupLine]:
    """The rows with their links: the row's cases, those assigned and resolved in the
    period, those open now (no queue and unassigned are "none" to the case list)."""
    key = "queue" if by_queue else "owner"
    lines = []
    for r in rows:
        mine = {key: str(r.key) if r.key is not None else "none"}
        lines.append(GroupLine(
            row=r, first_response=human_duration(r.first_response.median),
            resolution=human_duration(r.resolution.median), sla=percent(r.sla_attainment),
            csat=percent(r.csat_score), claim_wait=human_duration(r.claim_wait.median),
            cases_href=case_list_url(filters, mine),
            assigned_href=case_list_url(filters, {**mine, **_span("created", period)}),
            resolved_href=case_list_url(filters, {**mine, **_span("resolved", period)}),
            open_href=case_list_url(filters, {**mine, "open": "on"})))
    return lines
