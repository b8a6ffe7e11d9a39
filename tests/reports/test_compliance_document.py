"""The monthly SLA compliance report without a database: the arithmetic on a small hand-made
month, its JSON round trip, month bounds across DST, and the PDF and CSV it renders to."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from casedesk.reports import compliance_pdf
from casedesk.reports.compliance import (
    ComplianceReport,
    MonthTrend,
    TargetKind,
    TargetRow,
    attainment,
    build_report,
    classify,
    format_minutes,
    from_json,
    month_bounds,
    month_trend,
    overrun_minutes,
    to_json,
)
from casedesk.reports.compliance_csv import guard_cell, lines_csv, offenders_csv
from casedesk.reports.compliance_pdf import render_pdf

BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = date(2026, 11, 1)
# November 2026 in Berlin (CET, UTC+1) ends at 2026-11-30 23:00 UTC.
END = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
GENERATED = datetime(2026, 11, 30, 23, 5, tzinfo=UTC)
VIP = "Zoë Müller VIP"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def row(number: int, *, policy: str = "Standard", priority: str = "high",
        kind: TargetKind = "first_response", minutes: int = 60, business: bool = True,
        due: datetime | None, done: datetime | None, breached: bool = False,
        subject: str = "Printer on fire") -> TargetRow:
    return TargetRow(policy=policy, priority=priority, kind=kind, target_minutes=minutes,
                     business=business, due_at=due, done_at=done, breached=breached,
                     case_number=number, subject=subject)


ROWS = [
    # Standard, high, first response in 1 business hour.
    row(101, due=at(3, 10), done=at(3, 9, 30)),                     # met
    row(102, due=at(3, 10), done=at(3, 11, 30), breached=True),     # breached, 90 min late
    row(103, due=at(4, 10), done=at(4, 10, 45)),                    # late, sweep missed: 45
    row(104, due=at(30, 22), done=None),                            # overdue at month end: 60
    row(105, due=at(1, 8, month=12), done=None),                    # due next month: open
    row(106, due=None, done=None),                                  # paused: open
    # Standard, high, resolution in 8 business hours.
    row(101, kind="resolution", minutes=480, due=at(5, 10), done=at(5, 9)),  # met
    # Resolved in December: counts as not done, overrun up to the month's end.
    row(102, kind="resolution", minutes=480, due=at(5, 10), done=at(2, 10, month=12),
        breached=True),
    # Standard, urgent, first response in 30 calendar minutes.
    row(110, priority="urgent", minutes=30, business=False, due=at(10, 12),
        done=at(10, 12)),                                            # on the minute: met
    row(111, priority="urgent", minutes=30, business=False, due=at(10, 12),
        done=at(10, 12, 20), breached=True),                        # 20 min late
    row(112, priority="urgent", minutes=30, business=False, due=at(11, 0),
        done=at(11, 1, 30), breached=True),                         # 90 min late
    # A policy with a non-ASCII name, next response in 2 calendar hours.
    row(120, policy=VIP, priority="normal", kind="next_response", minutes=120,
        business=False, due=at(15, 9), done=at(15, 8, 59)),         # met
    # An earlier wait breached; the latest one was answered in time: breached, overrun 0.
    row(121, policy=VIP, priority="normal", kind="next_response", minutes=120,
        business=False, due=at(16, 9), done=at(16, 8), breached=True),
]

PREVIOUS = [
    MonthTrend(month=date(2026, 10, 1),
               attainment={"first_response": 90.0, "resolution": 80.0, "next_response": None}),
    MonthTrend(month=date(2026, 6, 1),
               attainment={"first_response": 75.0, "resolution": 100.0,
                           "next_response": 50.0}),
    # Seven months before: outside the trend's window.
    MonthTrend(month=date(2026, 4, 1),
               attainment={"first_response": 1.0, "resolution": 1.0, "next_response": 1.0}),
]


def november(rows: list[TargetRow] = ROWS, tenant: str = "Acme Zoë") -> ComplianceReport:
    return build_report(tenant_name=tenant, month=NOVEMBER, zone=BERLIN,
                        generated_at=GENERATED, rows=rows, previous=PREVIOUS)


# --- arithmetic -------------------------------------------------------------------------

def test_attainment_is_met_over_measured_and_none_when_nothing_was_measured() -> None:
    assert attainment(3, 1) == 75.0
    assert attainment(1, 2) == pytest.approx(33.3333, abs=1e-4)
    assert attainment(0, 4) == 0.0
    assert attainment(0, 0) is None


def test_each_row_is_classified_as_of_the_end_of_the_month() -> None:
    outcomes = [classify(r, period_end=END) for r in ROWS]
    assert outcomes == ["met", "breached", "breached", "breached", "open", "open",
                        "met", "breached", "met", "breached", "breached", "met", "breached"]
    # Flagged but due next month (the flag came later than the month): still open.
    assert classify(row(1, due=at(1, 1, month=12), done=None, breached=True),
                    period_end=END) == "open"
    # Flagged with its clock paused after the breach: breached.
    assert classify(row(1, due=None, done=None, breached=True), period_end=END) == "breached"


def test_overrun_counts_whole_minutes_up_to_the_work_or_the_months_end() -> None:
    assert overrun_minutes(ROWS[1], period_end=END) == 90
    assert overrun_minutes(ROWS[3], period_end=END) == 60
    # Due 5 Nov 10:00, not done by 30 Nov 23:00: 25 days and 13 hours.
    assert overrun_minutes(ROWS[7], period_end=END) == 25 * 1440 + 13 * 60
    assert overrun_minutes(ROWS[12], period_end=END) == 0
    late_by_seconds = row(1, due=at(3, 10), done=at(3, 10) + timedelta(seconds=119))
    assert overrun_minutes(late_by_seconds, period_end=END) == 1


def test_lines_are_counted_and_ordered_by_policy_priority_and_target() -> None:
    report = november()
    got = [(line.policy, line.priority, line.kind, line.target_minutes, line.business,
            line.cases, line.met, line.breached, line.open) for line in report.lines]
    assert got == [
        ("Standard", "urgent", "first_response", 30, False, 3, 1, 2, 0),
        ("Standard", "high", "first_response", 60, True, 4, 1, 3, 2),
        ("Standard", "high", "resolution", 480, True, 2, 1, 1, 0),
        (VIP, "normal", "next_response", 120, False, 2, 1, 1, 0),
    ]
    assert [line.attainment for line in report.lines] == [
        pytest.approx(100 / 3), 25.0, 50.0, 50.0]


def test_totals_sum_each_kind_of_target() -> None:
    totals = {t.kind: (t.cases, t.met, t.breached, t.open) for t in november().totals}
    assert totals == {"first_response": (7, 2, 5, 2), "resolution": (2, 1, 1, 0),
                      "next_response": (2, 1, 1, 0)}
    assert [t.attainment for t in november().totals] == [pytest.approx(200 / 7), 50.0, 50.0]


def test_offenders_are_the_longest_overruns_first_then_by_case_number() -> None:
    offenders = november().offenders
    assert [(o.case_number, o.kind, o.overrun_minutes) for o in offenders] == [
        (102, "resolution", 36780),
        (102, "first_response", 90),
        (112, "first_response", 90),
        (104, "first_response", 60),
        (103, "first_response", 45),
        (111, "first_response", 20),
        (121, "next_response", 0),
    ]
    # Resolved in December: not done as far as November knows.
    assert offenders[0].done_at is None
    assert offenders[1].due_at == at(3, 10)
    assert offenders[1].done_at == at(3, 11, 30)


def test_offenders_stop_at_twenty() -> None:
    rows = [row(n, due=at(1, 12), done=at(1, 12) + timedelta(minutes=n), breached=True)
            for n in range(1, 26)]
    offenders = november(rows).offenders
    assert len(offenders) == 20
    assert [o.case_number for o in offenders] == list(range(25, 5, -1))


def test_trend_holds_the_six_months_before_oldest_first() -> None:
    trend = november().trend
    assert [point.month for point in trend] == [date(2026, m, 1) for m in range(5, 11)]
    assert trend[0].attainment == {"first_response": None, "resolution": None,
                                   "next_response": None}
    assert trend[1].attainment == {"first_response": 75.0, "resolution": 100.0,
                                   "next_response": 50.0}
    assert trend[5].attainment["first_response"] == 90.0


def test_month_trend_carries_a_report_into_the_next_months() -> None:
    point = month_trend(november())
    assert point.month == NOVEMBER
    assert point.attainment == {"first_response": pytest.approx(200 / 7),
                                "resolution": 50.0, "next_response": 50.0}
    december = build_report(tenant_name="Acme", month=date(2026, 12, 1), zone=BERLIN,
                            generated_at=at(31, 23, month=12), rows=[], previous=[point])
    assert december.trend[-1] == point
    assert december.lines == ()
    assert all(t.attainment is None for t in december.totals)


def test_the_same_rows_in_any_order_give_the_same_report() -> None:
    assert november(list(reversed(ROWS))) == november()


def test_a_month_is_given_by_its_first_day_and_generation_time_is_aware() -> None:
    with pytest.raises(ValueError):
        build_report(tenant_name="Acme", month=date(2026, 11, 2), zone=BERLIN,
                     generated_at=GENERATED, rows=[], previous=[])
    with pytest.raises(ValueError):
        build_report(tenant_name="Acme", month=NOVEMBER, zone=BERLIN,
                     generated_at=GENERATED.replace(tzinfo=None), rows=[], previous=[])


def test_durations_read_as_hours_and_minutes_and_days_only_past_two_days() -> None:
    assert [format_minutes(m) for m in (0, 45, 60, 90, 1440, 2880, 36780)] == [
        "0 min", "45 min", "1 h", "1 h 30 min", "24 h", "2 d", "25 d 13 h"]


# --- JSON ---------------------------------------------------------------------------------

def test_json_round_trip_gives_the_same_report() -> None:
    report = november()
    stored = json.loads(json.dumps(to_json(report)))
    assert from_json(stored) == report
    assert stored["month"] == "2026-11-01"
    assert stored["time_zone"] == "Europe/Berlin"
    assert stored["offenders"][0]["due_at"] == "2026-11-05T10:00:00+00:00"
    assert stored["offenders"][0]["done_at"] is None


def test_json_of_an_unknown_version_is_refused() -> None:
    stored = to_json(november())
    stored["version"] = 2
    with pytest.raises(ValueError):
        from_json(stored)


# --- month bounds -------------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "month", "start", "end", "hours"), [
    # Berlin: summer time starts 29 March 2026, ends 25 October 2026.
    ("Europe/Berlin", date(2026, 3, 1), datetime(2026, 2, 28, 23, tzinfo=UTC),
     datetime(2026, 3, 31, 22, tzinfo=UTC), 31 * 24 - 1),
    ("Europe/Berlin", date(2026, 10, 1), datetime(2026, 9, 30, 22, tzinfo=UTC),
     datetime(2026, 10, 31, 23, tzinfo=UTC), 31 * 24 + 1),
    # New York: daylight time starts 8 March 2026, ends 1 November 2026 (the 1st itself).
    ("America/New_York", date(2026, 3, 1), datetime(2026, 3, 1, 5, tzinfo=UTC),
     datetime(2026, 4, 1, 4, tzinfo=UTC), 31 * 24 - 1),
    ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 4, tzinfo=UTC),
     datetime(2026, 12, 1, 5, tzinfo=UTC), 30 * 24 + 1),
    # The year turns.
    ("America/New_York", date(2026, 12, 1), datetime(2026, 12, 1, 5, tzinfo=UTC),
     datetime(2027, 1, 1, 5, tzinfo=UTC), 31 * 24),
])
def test_month_bounds_are_the_local_months_utc_instants(zone: str, month: date,
                                                        start: datetime, end: datetime,
                                                        hours: int) -> None:
    got_start, got_end = month_bounds(month, ZoneInfo(zone))
    assert (got_start, got_end) == (start, end)
    assert got_end - got_start == timedelta(hours=hours)
    assert got_start.tzinfo == UTC


def test_each_month_ends_where_the_next_begins() -> None:
    _, october_end = month_bounds(date(2026, 10, 1), BERLIN)
    november_start, _ = month_bounds(NOVEMBER, BERLIN)
    assert october_end == november_start


# --- PDF ----------------------------------------------------------------------------------

def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_pdf_holds_title_policies_figures_and_offenders() -> None:
    data = render_pdf(november())
    assert data.startswith(b"%PDF-")
    text = "\n".join(pdf_pages(data))
    assert "SLA compliance, November 2026 — Acme Zoë" in text
    assert VIP in text
    assert "33.3%" in text          # Standard, urgent, first response: 1 of 3
    assert "28.6%" in text          # first response over all policies: 2 of 7
    assert "#102" in text and "#121" in text
    assert "25 d 13 h" in text      # the longest overrun
    assert "1 December 2026 at 00:05 (Europe/Berlin)" in text
    assert "October 2026" in text and "90.0%" in text
    assert "May 26" in text and "Nov 26" in text   # the bar chart's month labels


def test_pdf_of_the_same_report_is_the_same_bytes() -> None:
    assert render_pdf(november()) == render_pdf(november())


def test_a_long_table_breaks_across_pages_with_its_header_repeated() -> None:
    rows = [row(n, minutes=n, due=at(2, 10), done=at(2, 9)) for n in range(1, 151)]
    pages = pdf_pages(render_pdf(november(rows)))
    assert len(pages) >= 4
    for page in pages[1:3]:
        assert page.lstrip().startswith("Priority")
        assert "Attainment" in page
        assert "Worst offenders" not in page
    assert "2 h 30 min" in "\n".join(pages)      # the last line's target, 150 minutes


def test_pdf_falls_back_to_a_core_font_without_dejavu(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setattr(compliance_pdf, "FONT_DIR", tmp_path)
    rows = [*ROWS, row(130, policy="Ω desk", due=at(2, 10), done=at(2, 9))]
    text = "\n".join(pdf_pages(render_pdf(november(rows))))
    assert "SLA compliance, November 2026 - Acme Zoë" in text
    assert "Policy: ? desk" in text


# --- CSV ----------------------------------------------------------------------------------

def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_lines_csv_has_a_header_and_a_row_per_line() -> None:
    text = lines_csv(november())
    assert text.endswith("\r\n")
    rows = parse(text)
    assert rows[0] == ["month", "policy", "priority", "target", "target_minutes", "hours",
                       "cases", "met", "breached", "open", "attainment_percent"]
    assert rows[1:] == [
        ["2026-11", "Standard", "urgent", "first_response", "30", "calendar", "3", "1", "2",
         "0", "33.33"],
        ["2026-11", "Standard", "high", "first_response", "60", "business", "4", "1", "3",
         "2", "25.00"],
        ["2026-11", "Standard", "high", "resolution", "480", "business", "2", "1", "1", "0",
         "50.00"],
        ["2026-11", VIP, "normal", "next_response", "120", "calendar", "2", "1", "1", "0",
         "50.00"],
    ]


def test_offenders_csv_gives_local_times_and_overruns() -> None:
    rows = parse(offenders_csv(november()))
    assert rows[0] == ["month", "case_number", "subject", "policy", "target",
                       "target_minutes", "due_at", "done_at", "overrun_minutes"]
    assert len(rows) == 8
    assert rows[1] == ["2026-11", "102", "Printer on fire", "Standard", "resolution", "480",
                       "2026-11-05T11:00:00+01:00", "", "36780"]
    assert rows[2][6:] == ["2026-11-03T11:00:00+01:00", "2026-11-03T12:30:00+01:00", "90"]


def test_csv_cells_that_would_start_a_formula_are_guarded() -> None:
    assert [guard_cell(v) for v in ("=1+1", "+49 30 1234", "-2", "@SUM(A1)", "\t=1", "ok",
                                    "a=b")] == [
        "'=1+1", "'+49 30 1234", "'-2", "'@SUM(A1)", "'\t=1", "ok", "a=b"]
    rows = [row(7, policy='=HYPERLINK("http://evil.example")', due=at(2, 10),
                done=at(2, 11), breached=True,
                subject='@cmd, "quoted"\nand a second line')]
    parsed = parse(offenders_csv(november(rows)))
    assert parsed[1][2] == '\'@cmd, "quoted"\nand a second line'
    assert parsed[1][3] == '\'=HYPERLINK("http://evil.example")'
    assert parse(lines_csv(november(rows)))[1][1] == '\'=HYPERLINK("http://evil.example")'
