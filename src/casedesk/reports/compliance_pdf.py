"""The monthly SLA compliance report as an A4 PDF, drawn with fpdf2.

Names in any script people type ("Zoë Müller", "—") need a Unicode font: the report uses
DejaVu Sans from /usr/share/fonts/truetype/dejavu/ (Debian's fonts-dejavu-core, installed on
CI and in the image). Where that file is missing it falls back to fpdf2's core Helvetica,
which knows Latin-1 only: dashes and ellipses become their ASCII look-alikes and any other
character outside Latin-1 becomes "?", so the document still renders rather than failing.

The same report renders to the same bytes: the document's creation date is the report's
generation time, never the clock.
"""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import Align, TableHeadingsDisplay, XPos, YPos
from fpdf.fonts import FontFace

from casedesk.reports.compliance import (
    KIND_LABELS,
    TARGET_KINDS,
    ComplianceReport,
    TargetKind,
    TargetLine,
    format_attainment,
    format_minutes,
    month_title,
)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "DejaVu"
_LATIN1_STANDINS = str.maketrans({"—": "-", "–": "-", "…": "...", "‘": "'", "’": "'",
                                  "“": '"', "”": '"', "−": "-", "≥": ">="})
_HEADING = FontFace(emphasis="BOLD", fill_color=(225, 229, 235))
# Greys for the bars, one per kind of target, in TARGET_KINDS order: they print in black
# and white too.
_BAR_SHADES = ((60, 60, 60), (130, 130, 130), (195, 195, 195))
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                 "Nov", "Dec")


class _Document(FPDF):
    """A4 with a page footer; `safe()` makes a string safe for whichever font loaded."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        self.is_unicode = regular.is_file() and bold.is_file()
        if self.is_unicode:
            self.add_font(FAMILY, "", str(regular))
            self.add_font(FAMILY, "B", str(bold))
            self.family_name = FAMILY
        else:
            self.family_name = "Helvetica"

    def safe(self, value: str) -> str:
        if self.is_unicode:
            return value
        return (value.translate(_LATIN1_STANDINS)
                .encode("latin-1", errors="replace").decode("latin-1"))

    def use(self, size: float, *, bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", size)

    def footer(self) -> None:
        self.set_y(-13)
        self.use(8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self.safe(f"{self.footer_text} · page {self.page_no()} of {{nb}}"),
                  align=Align.C)
        self.set_text_color(0, 0, 0)


def render_pdf(report: ComplianceReport) -> bytes:
    """The report as a PDF: title, totals, a table per policy, the worst offenders, and the
    trend of the months before (a table and a bar chart). Long tables break across pages
    with their header row repeated."""
    zone = ZoneInfo(report.time_zone)
    title = f"SLA compliance, {month_title(report.month)} — {report.tenant_name}"
    pdf = _Document(footer_text=title)
    pdf.set_title(pdf.safe(title))
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()

    pdf.use(16, bold=True)
    pdf.multi_cell(0, 8, pdf.safe(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use(9)
    generated = report.generated_at.astimezone(zone)
    pdf.multi_cell(0, 5, pdf.safe(
        f"Generated {_day(generated.date())} at {generated:%H:%M} ({report.time_zone}). "
        f"The month is counted in {report.time_zone}. Attainment is met ÷ (met + breached); "
        "targets still open when the month ended are shown but not counted."),
        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _section(pdf, "Totals")
    _table(pdf, ("Target", "Cases", "Met", "Breached", "Open", "Attainment"),
           [(KIND_LABELS[t.kind], str(t.cases), str(t.met), str(t.breached), str(t.open),
             format_attainment(t.attainment)) for t in report.totals],
           widths=(60, 22, 22, 24, 22, 30))

    policies: dict[str, list[TargetLine]] = {}
    for line in report.lines:
        policies.setdefault(line.policy, []).append(line)
    if not policies:
        _section(pdf, "Policies")
        _note(pdf, "No case had an SLA target this month.")
    for policy, lines in policies.items():
        _section(pdf, f"Policy: {policy}")
        _table(pdf, ("Priority", "Target", "Cases", "Met", "Breached", "Open", "Attainment"),
               [(line.priority.capitalize(), _target(line.kind, line.target_minutes,
                                                     line.business),
                 str(line.cases), str(line.met), str(line.breached), str(line.open),
                 format_attainment(line.attainment)) for line in lines],
               widths=(18, 72, 16, 16, 20, 16, 22))

    _section(pdf, "Worst offenders")
    if report.offenders:
        _table(pdf, ("Case", "Subject", "Policy", "Target", "Due", "Done", "Overrun"),
               [(f"#{o.case_number}", o.subject, o.policy,
                 f"{KIND_LABELS[o.kind]}, {format_minutes(o.target_minutes)}",
                 _moment(o.due_at, zone),
                 _moment(o.done_at, zone) if o.done_at is not None else "not done",
                 format_minutes(o.overrun_minutes)) for o in report.offenders],
               widths=(14, 36, 26, 36, 23, 23, 22))
    else:
        _note(pdf, "No target was breached this month.")

    # The trend's table and chart are read together: keep them on one page.
    _section(pdf, "Trend", keep=125)
    this_month = {t.kind: t.attainment for t in report.totals}
    months = [(point.month, dict(point.attainment)) for point in report.trend]
    months.append((report.month, this_month))
    _table(pdf, ("Month", *(KIND_LABELS[k] for k in TARGET_KINDS)),
           [(month_title(m) + (" (this report)" if m == report.month else ""),
             *(format_attainment(figures.get(k)) for k in TARGET_KINDS))
            for m, figures in months],
           widths=(60, 40, 40, 40))
    _bar_chart(pdf, months)
    return bytes(pdf.output())


def _section(pdf: _Document, heading: str, *, keep: float = 30) -> None:
    # A heading left alone at the foot of a page reads as belonging to nothing; `keep` is
    # the room (mm) the heading wants below it on the same page.
    if pdf.will_page_break(keep):
        pdf.add_page()
    pdf.ln(4)
    pdf.use(12, bold=True)
    pdf.multi_cell(0, 7, pdf.safe(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _note(pdf: _Document, text: str) -> None:
    pdf.use(9)
    pdf.multi_cell(0, 5, pdf.safe(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: _Document, headings: tuple[str, ...], rows: list[tuple[str, ...]], *,
           widths: tuple[int, ...]) -> None:
    pdf.use(8.5)
    numeric = tuple(h in {"Cases", "Met", "Breached", "Open", "Attainment", "Overrun"}
                    or h in KIND_LABELS.values() for h in headings)
    with pdf.table(col_widths=widths, width=sum(widths), align=Align.L,
                   headings_style=_HEADING, line_height=5, padding=(0.8, 1.2),
                   repeat_headings=TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE) as table:
        heading = table.row()
        for text in headings:
            heading.cell(pdf.safe(text))
        for values in rows:
            row = table.row()
            for text, is_number in zip(values, numeric, strict=True):
                row.cell(pdf.safe(text), align=Align.R if is_number else Align.L)


def _bar_chart(pdf: _Document, months: list[tuple[date, dict[TargetKind, float | None]]]
               ) -> None:
    height, label_room = 45.0, 12.0
    if pdf.will_page_break(height + label_room + 8):
        pdf.add_page()
    pdf.ln(4)
    left, top = pdf.l_margin + 10, pdf.get_y() + 2
    width = pdf.epw - 10
    bottom = top + height
    pdf.use(7)
    pdf.set_draw_color(150, 150, 150)
    for percent in (0, 50, 100):
        y = bottom - height * percent / 100
        pdf.line(left, y, left + width, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.cell(9, 4, f"{percent}%", align=Align.R)
    group = width / len(months)
    bar = group * 0.8 / len(TARGET_KINDS)
    for index, (month, figures) in enumerate(months):
        x = left + index * group + group * 0.1
        for shade, kind in zip(_BAR_SHADES, TARGET_KINDS, strict=True):
            value = figures.get(kind)
            if value is not None and value > 0:
                pdf.set_fill_color(*shade)
                pdf.rect(x, bottom - height * value / 100, bar, height * value / 100,
                         style="F")
            x += bar
        pdf.set_xy(left + index * group, bottom + 1)
        pdf.cell(group, 4, f"{_SHORT_MONTHS[month.month - 1]} {month.year % 100:02d}",
                 align=Align.C)
    x = left
    for shade, kind in zip(_BAR_SHADES, TARGET_KINDS, strict=True):
        pdf.set_fill_color(*shade)
        pdf.rect(x, bottom + 6.5, 3, 3, style="F")
        pdf.set_xy(x + 4, bottom + 6)
        pdf.cell(35, 4, KIND_LABELS[kind])
        x += 40
    pdf.set_y(bottom + label_room)


def _target(kind: TargetKind, minutes: int, business: bool) -> str:
    hours = "business hours" if business else "calendar"
    return f"{KIND_LABELS[kind]} · {format_minutes(minutes)} · {hours}"


def _day(day: date) -> str:
    return f"{day.day} {month_title(day.replace(day=1))}"


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {_SHORT_MONTHS[local.month - 1]} {local:%H:%M}"

