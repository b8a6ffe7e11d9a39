"""The monthly SLA compliance report as CSV: two files, not one.

`lines_csv` holds a row per policy, priority and target; `offenders_csv` the worst
offenders. They are two downloads rather than two sections of one file because a file with
one header and one shape of row is what spreadsheets, `csv` readers and data tools import
without help. Both are RFC 4180 (comma, CRLF, fields quoted when they need it), times in
ISO 8601 in the tenant's zone, minutes and percentages as plain numbers.

These files are opened in spreadsheets, so a cell that would start a formula (= + - @, or
a tab or carriage return, which some spreadsheets skip before one) gets a leading apostrophe.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from casedesk.reports.compliance import ComplianceReport

LINE_HEADER = ("month", "policy", "priority", "target", "target_minutes", "hours", "cases",
               "met", "breached", "open", "attainment_percent")
OFFENDER_HEADER = ("month", "case_number", "subject", "policy", "target", "target_minutes",
                   "due_at", "done_at", "overrun_minutes")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: str) -> str:
    """The value, with an apostrophe in front when a spreadsheet would take it as a
    formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def lines_csv(report: ComplianceReport) -> str:
    """One row per target line, after a header row; attainment with two decimals, empty
    when nothing was measured."""
    month = report.month.strftime("%Y-%m")
    return _write(LINE_HEADER, (
        (month, line.policy, line.priority, line.kind, str(line.target_minutes),
         "business" if line.business else "calendar", str(line.cases), str(line.met),
         str(line.breached), str(line.open),
         "" if line.attainment is None else f"{line.attainment:.2f}")
        for line in report.lines
    ))


def offenders_csv(report: ComplianceReport) -> str:
    """The worst offenders, longest overrun first, after a header row; `done_at` is empty
    for a target not done by the end of the month."""
    month = report.month.strftime("%Y-%m")
    zone = ZoneInfo(report.time_zone)
    return _write(OFFENDER_HEADER, (
        (month, str(o.case_number), o.subject, o.policy, o.kind, str(o.target_minutes),
         o.due_at.astimezone(zone).isoformat(),
         o.done_at.astimezone(zone).isoformat() if o.done_at is not None else "",
         str(o.overrun_minutes))
        for o in report.offenders
    ))


def _write(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([guard_cell(cell) for cell in row])
    return out.getvalue()
