"""The monthly SLA compliance report: its data and the arithmetic behind it, pure.

The job that makes the report reads one row per case and SLA target (`TargetRow`) and the
figures of the months before, and hands them to `build_report`; the report is stored as
JSON (`to_json`, `from_json`) and rendered by `compliance_pdf` and `compliance_csv`. Nothing
here reads the clock or the database, so a month re-generated from the same rows gives the
same report, byte for byte once rendered.

How a row counts, as of the end of the month (`classify`):
- breached: the sweep marked it breached and it fell due before the month ended (or has no
  due time left, such as a clock paused after its breach); or it was done after its due time;
  or it was still not done when the month ended although its due time had passed (the
  sweep's mark can lag behind by a few minutes);
- met: done by its due time, within the month;
- open: anything else (due after the month ended, or paused without a due time): shown, but
  not counted in the attainment.
Work done after the month ended is treated as not done, so re-generating a month later, when
more cases have been answered, changes nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from casedesk.core.priority import PRIORITY_NAMES

TargetKind = Literal["first_response", "resolution", "next_response"]
TARGET_KINDS: tuple[TargetKind, ...] = ("first_response", "resolution", "next_response")
KIND_LABELS: dict[TargetKind, str] = {
    "first_response": "First response",
    "resolution": "Resolution",
    "next_response": "Next response",
}
Outcome = Literal["met", "breached", "open"]
OFFENDER_LIMIT = 20
TREND_MONTHS = 6
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class TargetRow:
    """One SLA target of one case, as the month's query found it (the job's input)."""

    policy: str
    priority: str
    kind: TargetKind
    target_minutes: int
    business: bool
    due_at: datetime | None
    done_at: datetime | None
    breached: bool
    case_number: int
    subject: str


@dataclass(frozen=True)
class TargetLine:
    """One policy's target for one priority: how many cases met it and how many did not.

    `cases` counts the measured ones (met + breached); `open` ones are shown beside them and
    left out of the attainment."""

    policy: str
    priority: str
    kind: TargetKind
    target_minutes: int
    business: bool
    cases: int
    met: int
    breached: int
    open: int
    attainment: float | None


@dataclass(frozen=True)
class KindTotal:
    """All policies and priorities of one kind of target, summed."""

    kind: TargetKind
    cases: int
    met: int
    breached: int
    open: int
    attainment: float | None


@dataclass(frozen=True)
class Offender:
    """A breached target and how far past its due time the work came (calendar minutes,
    up to the end of the month when it was not done by then)."""

    case_number: int
    subject: str
    policy: str
    kind: TargetKind
    target_minutes: int
    due_at: datetime
    done_at: datetime | None
    overrun_minutes: int


@dataclass(frozen=True)
class MonthTrend:
    """One month's attainment per kind of target; None where nothing was measured or no
    report exists for that month."""

    month: date
    attainment: Mapping[TargetKind, float | None]


@dataclass(frozen=True)
class ComplianceReport:
    """A tenant's SLA compliance for one month of its own time zone."""

    tenant_name: str
    month: date
    time_zone: str
    generated_at: datetime
    lines: tuple[TargetLine, ...]
    offenders: tuple[Offender, ...]
    trend: tuple[MonthTrend, ...]
    totals: tuple[KindTotal, ...]


def attainment(met: int, breached: int) -> float | None:
    """Met as a percentage of what was measured; None when nothing was."""
    measured = met + breached
    if measured == 0:
        return None
    return 100 * met / measured


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which the local month starting on `month` begins and ends (the
    end is excluded). Each month ends where the next begins, across DST changes too."""
    _check_first_day(month)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = add_months(month, 1)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_title(month: date) -> str:
    """"November 2026": month names are English whatever the server's locale."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def classify(row: TargetRow, *, period_end: datetime) -> Outcome:
    """How a row counts as of the end of the month (see the module's docstring)."""
    done = row.done_at if row.done_at is not None and row.done_at < period_end else None
    if row.breached and (row.due_at is None or row.due_at < period_end):
        return "breached"
    if row.due_at is None:
        return "open"
    if done is not None:
        return "met" if done <= row.due_at else "breached"
    return "breached" if row.due_at < period_end else "open"


def overrun_minutes(row: TargetRow, *, period_end: datetime) -> int:
    """Whole calendar minutes from the due time to the work, or to the month's end when the
    work had not come by then; never negative."""
    if row.due_at is None:
        return 0
    done = row.done_at if row.done_at is not None and row.done_at < period_end else period_end
    return max(0, (done - row.due_at) // timedelta(minutes=1))


def build_report(*, tenant_name: str, month: date, zone: ZoneInfo, generated_at: datetime,
                 rows: Iterable[TargetRow], previous: Iterable[MonthTrend]) -> ComplianceReport:
    """Assemble the month's report from its rows and the earlier months' figures.

    Deterministic: lines are ordered by policy, priority (urgent first), kind of target,
    then target; offenders by overrun (longest first), then case number and kind; the trend
    holds exactly the `TREND_MONTHS` months before, oldest first, with None figures for a
    month missing from `previous` (later entries for the same month win)."""
    _check_first_day(month)
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be an aware datetime")
    _, period_end = month_bounds(month, zone)

    counts: dict[tuple[str, str, TargetKind, int, bool], dict[Outcome, int]] = {}
    breaches: list[tuple[TargetRow, int]] = []
    for row in rows:
        outcome = classify(row, period_end=period_end)
        key = (row.policy, row.priority, row.kind, row.target_minutes, row.business)
        tally = counts.setdefault(key, {"met": 0, "breached": 0, "open": 0})
        tally[outcome] += 1
        if outcome == "breached" and row.due_at is not None:
            breaches.append((row, overrun_minutes(row, period_end=period_end)))

    lines = tuple(
        TargetLine(policy=policy, priority=priority, kind=kind, target_minutes=minutes,
                   business=business, cases=tally["met"] + tally["breached"],
                   met=tally["met"], breached=tally["breached"], open=tally["open"],
                   attainment=attainment(tally["met"], tally["breached"]))
        for (policy, priority, kind, minutes, business), tally
        in sorted(counts.items(), key=lambda item: _line_order(*item[0]))
    )
    breaches.sort(key=lambda item: (-item[1], item[0].case_number,
                                    TARGET_KINDS.index(item[0].kind), item[0].policy))
    offenders = tuple(
        Offender(case_number=row.case_number, subject=row.subject, policy=row.policy,
                 kind=row.kind, target_minutes=row.target_minutes,
                 due_at=cast(datetime, row.due_at).astimezone(UTC),
                 done_at=(row.done_at.astimezone(UTC)
                          if row.done_at is not None and row.done_at < period_end else None),
                 overrun_minutes=overrun)
        for row, overrun in breaches[:OFFENDER_LIMIT]
    )
    return ComplianceReport(tenant_name=tenant_name, month=month, time_zone=zone.key,
                            generated_at=generated_at.astimezone(UTC), lines=lines,
                            offenders=offenders, trend=_trend(month, previous),
                            totals=_totals(lines))


def month_trend(report: ComplianceReport) -> MonthTrend:
    """The report's own figures as one month of a later report's trend."""
    return MonthTrend(month=report.month,
                      attainment={total.kind: total.attainment for total in report.totals})


def to_json(report: ComplianceReport) -> dict[str, Any]:
    """The report as plain JSON values (times as ISO 8601 in UTC), for storing it."""
    return {
        "version": FORMAT_VERSION,
        "tenant_name": report.tenant_name,
        "month": report.month.isoformat(),
        "time_zone": report.time_zone,
        "generated_at": report.generated_at.isoformat(),
        "lines": [
            {"policy": line.policy, "priority": line.priority, "kind": line.kind,
             "target_minutes": line.target_minutes, "business": line.business,
             "cases": line.cases, "met": line.met, "breached": line.breached,
             "open": line.open, "attainment": line.attainment}
            for line in report.lines
        ],
        "offenders": [
            {"case_number": o.case_number, "subject": o.subject, "policy": o.policy,
             "kind": o.kind, "target_minutes": o.target_minutes,
             "due_at": o.due_at.isoformat(),
             "done_at": o.done_at.isoformat() if o.done_at is not None else None,
             "overrun_minutes": o.overrun_minutes}
            for o in report.offenders
        ],
        "trend": [
            {"month": point.month.isoformat(),
             "attainment": {kind: point.attainment.get(kind) for kind in TARGET_KINDS}}
            for point in report.trend
        ],
        "totals": [
            {"kind": t.kind, "cases": t.cases, "met": t.met, "breached": t.breached,
             "open": t.open, "attainment": t.attainment}
            for t in report.totals
        ],
    }


def from_json(data: Mapping[str, Any]) -> ComplianceReport:
    """The report `to_json` stored; raises ValueError for a document of another version."""
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unknown compliance report version {data.get('version')!r}")
    return ComplianceReport(
        tenant_name=data["tenant_name"],
        month=date.fromisoformat(data["month"]),
        time_zone=data["time_zone"],
        generated_at=datetime.fromisoformat(data["generated_at"]),
        lines=tuple(
            TargetLine(policy=d["policy"], priority=d["priority"], kind=_kind(d["kind"]),
                       target_minutes=d["target_minutes"], business=d["business"],
                       cases=d["cases"], met=d["met"], breached=d["breached"],
                       open=d["open"], attainment=d["attainment"])
            for d in data["lines"]
        ),
        offenders=tuple(
            Offender(case_number=d["case_number"], subject=d["subject"], policy=d["policy"],
                     kind=_kind(d["kind"]), target_minutes=d["target_minutes"],
                     due_at=datetime.fromisoformat(d["due_at"]),
                     done_at=(datetime.fromisoformat(d["done_at"])
                              if d["done_at"] is not None else None),
                     overrun_minutes=d["overrun_minutes"])
            for d in data["offenders"]
        ),
        trend=tuple(
            MonthTrend(month=date.fromisoformat(d["month"]),
                       attainment={_kind(k): v for k, v in d["attainment"].items()})
            for d in data["trend"]
        ),
        totals=tuple(
            KindTotal(kind=_kind(d["kind"]), cases=d["cases"], met=d["met"],
                      breached=d["breached"], open=d["open"], attainment=d["attainment"])
            for d in data["totals"]
        ),
    )


def format_minutes(minutes: int) -> str:
    """A target or overrun for people: "45 min", "8 h", "1 h 30 min", "2 d 3 h"; days only
    past 48 hours, so a 24-hour target reads as it was set."""
    if minutes >= 48 * 60:
        days, rest = divmod(minutes, 24 * 60)
        hours = rest // 60
        return f"{days} d {hours} h" if hours else f"{days} d"
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    if hours:
        return f"{hours} h"
    return f"{mins} min"


def format_attainment(value: float | None) -> str:
    """One decimal and a percent sign, or an em dash where nothing was measured."""
    return "—" if value is None else f"{value:.1f}%"


def _check_first_day(month: date) -> None:
    if month.day != 1:
        raise ValueError(f"a report month is given by its first day, not {month.isoformat()}")


def _kind(value: str) -> TargetKind:
    if value not in TARGET_KINDS:
        raise ValueError(f"unknown target kind {value!r}")
    return value


def _line_order(policy: str, priority: str, kind: TargetKind, minutes: int,
                business: bool) -> tuple[str, str, int, str, int, int, bool]:
    # A priority name the rungs don't know sorts after the known ones, by name.
    rung = PRIORITY_NAMES.get(priority, 0)
    return (policy.casefold(), policy, -rung, priority, TARGET_KINDS.index(kind), minutes,
            business)


def _trend(month: date, previous: Iterable[MonthTrend]) -> tuple[MonthTrend, ...]:
    given = {point.month: point for point in previous}
    empty: dict[TargetKind, float | None] = {kind: None for kind in TARGET_KINDS}
    months = [add_months(month, -back) for back in range(TREND_MONTHS, 0, -1)]
    return tuple(
        MonthTrend(month=m, attainment={kind: given[m].attainment.get(kind)
                                        for kind in TARGET_KINDS})
        if m in given else MonthTrend(month=m, attainment=dict(empty))
        for m in months
    )


def _totals(lines: Iterable[TargetLine]) -> tuple[KindTotal, ...]:
    sums = {kind: [0, 0, 0] for kind in TARGET_KINDS}
    for line in lines:
        tally = sums[line.kind]
        tally[0] += line.met
        tally[1] += line.breached
        tally[2] += line.open
    return tuple(
        KindTotal(kind=kind, cases=met + breached, met=met, breached=breached, open=still,
                  attainment=attainment(met, breached))
        for kind, (met, breached, still) in sums.items()
    )
