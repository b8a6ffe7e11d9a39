"""The SLA set-up pages, part two: business-hours calendars (list, the form with its weekly
schedule editor, delete) and their holidays (add a day or a range, delete, import an
iCalendar file).

Managers read; admins change. Forms are plain posts answered with a redirect and a message;
a refusal shows the page again with the reason and what was typed, and nothing is saved.
"""

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.console import sla_reads
from casedesk.console.access import get_calendar_for_member, get_holiday_for_calendar
from casedesk.console.sla_forms import (
    CalendarDraft,
    calendar_draft_of,
    calendar_draft_of_post,
    pretty_week_error,
    refuse_nul,
    time_zones,
)
from casedesk.core import clock
from casedesk.core.errors import Conflict, DomainError, Invalid
from casedesk.sla import services
from casedesk.sla.models import BusinessCalendar, Holiday
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

LIST_TEMPLATE = "console/sla_calendars.html"
FORM_TEMPLATE = "console/sla_calendar_form.html"
MAX_ICS_BYTES = 1_000_000


@member_required
@require_GET
def calendar_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    return render(request, LIST_TEMPLATE, {
        "nav": "sla", "tab": "calendars", "can_edit": membership.is_admin,
        "lines": sla_reads.calendar_lines(membership.tenant)})


def _form_context(membership: Membership, draft: CalendarDraft,
                  calendar: BusinessCalendar | None, **extra: Any) -> dict[str, Any]:
    holidays = (list(Holiday.objects.filter(tenant_id=membership.tenant_id, calendar=calendar)
                     .order_by("starts_on", "id"))
                if calendar is not None else [])
    return {
        "nav": "sla", "tab": "calendars", "can_edit": membership.is_admin,
        "draft": draft, "calendar": calendar, "time_zones": time_zones(),
        "holidays": holidays, "today": clock.now().date(),
        "action_url": (reverse("console:sla_calendar", args=[calendar.pk])
                       if calendar is not None else reverse("console:sla_calendar_new")),
        "errors": {}, "posted": {}, **extra,
    }


def _render_form(request: PageRequest, membership: Membership, context: dict[str, Any],
                 status: int = 200) -> HttpResponse:
    return render(request, FORM_TEMPLATE, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def calendar_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _save(request, membership, calendar_draft_of_post(request.POST), None)
    draft = calendar_draft_of(None, time_zone=membership.tenant.time_zone,
                              week=services.DEFAULT_WEEK)
    return _render_form(request, membership, _form_context(membership, draft, None))


@member_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: PageRequest, calendar_id: int) -> HttpResponse:
    """The calendar's form and its holidays (read-only for managers)."""
    membership = require_manager(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    if request.method == "POST":
        require_admin(membership)
        return _save(request, membership, calendar_draft_of_post(request.POST), calendar)
    return _render_form(request, membership,
                        _form_context(membership, calendar_draft_of(calendar), calendar))


def _save(request: PageRequest, membership: Membership, draft: CalendarDraft,
          calendar: BusinessCalendar | None) -> HttpResponse:
    try:
        refuse_nul(request.POST)
        saved = services.calendar_save(tenant=membership.tenant, name=draft.name,
                                       time_zone=draft.time_zone, week=draft.week(),
                                       calendar=calendar)
    except (Invalid, Conflict) as error:
        field = getattr(error, "field", None) or ("name" if isinstance(error, Conflict) else "")
        if field == "week":
            draft.mark_error(error.detail)
        context = _form_context(membership, draft, calendar, error=pretty_week_error(
            error.detail), error_field=field)
        return _render_form(request, membership, context, status=error.status_code)
    if calendar is None:
        messages.success(request, f"Calendar “{saved.name}” created. Add its holidays below.")
    else:
        messages.success(request, f"Calendar “{saved.name}” saved. Open cases' clocks are "
                                  "being recomputed.")
    return redirect("console:sla_calendar", calendar_id=saved.pk)


@member_required
@require_POST
def calendar_delete(request: PageRequest, calendar_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    services.calendar_delete(calendar=calendar, now=clock.now())
    messages.success(request, f"Calendar “{calendar.name}” deleted.")
    return redirect("console:sla_calendars")


# --- holidays ---------------------------------------------------------------------------------

def _back(calendar: BusinessCalendar) -> HttpResponse:
    return redirect(f"{reverse('console:sla_calendar', args=[calendar.pk])}#holidays")


def _refused(request: PageRequest, membership: Membership, calendar: BusinessCalendar,
             error: DomainError, key: str, posted: dict[str, str]) -> HttpResponse:
    """The calendar page again, with the reason beside the holiday form that was refused."""
    context = _form_context(membership, calendar_draft_of(calendar), calendar,
                            errors={key: error.detail}, posted=posted)
    return _render_form(request, membership, context, status=error.status_code)


def _date(text: str, what: str, field: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{what} is a date such as 2026-12-24.", field=field) from None


@member_required
@require_POST
def holiday_add(request: PageRequest, calendar_id: int) -> HttpResponse:
    """Adds a day (`starts_on`) or a range (to `ends_on`, inclusive) off."""
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    posted = {name: request.POST.get(name, "")[:200]
              for name in ("name", "starts_on", "ends_on")}
    try:
        refuse_nul(request.POST)
        starts_on = _date(posted["starts_on"], "The first day", "starts_on")
        if starts_on is None:
            raise Invalid("Give the holiday's date (its first day for a range).",
                          field="starts_on")
        ends_on = _date(posted["ends_on"], "The last day", "ends_on")
        holiday = services.holiday_add(calendar=calendar, name=posted["name"],
                                       starts_on=starts_on, ends_on=ends_on)
    except Invalid as error:
        return _refused(request, membership, calendar, error, "holiday", posted)
    span = (format_date(holiday.starts_on, "j M Y") if holiday.starts_on == holiday.ends_on
            else f"{format_date(holiday.starts_on, 'j M Y')} – "
                 f"{format_date(holiday.ends_on, 'j M Y')}")
    messages.success(request, f"Holiday “{holiday.name or 'Holiday'}” ({span}) added.")
    return _back(calendar)


@member_required
@require_POST
def holiday_delete(request: PageRequest, calendar_id: int, holiday_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    holiday = get_holiday_for_calendar(calendar, holiday_id)
    services.holiday_delete(holiday=holiday, now=clock.now())
    messages.success(request, f"Holiday “{holiday.name or 'Holiday'}” deleted.")
    return _back(calendar)


def _ics_text(request: PageRequest) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        raise Invalid("Choose an iCalendar (.ics) file to import.", field="file")
    if upload.size is not None and upload.size > MAX_ICS_BYTES:
        raise Invalid("The file is larger than 1 MB; a holiday calendar is much smaller.",
                      field="file")
    raw: bytes = upload.read(MAX_ICS_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text, so it is not an iCalendar file.",
                      field="file") from None
    if "\x00" in text:
        raise Invalid("The file contains a character that cannot be stored.", field="file")
    return text


@member_required
@require_POST
def holidays_import(request: PageRequest, calendar_id: int) -> HttpResponse:
    """Adds the all-day events of an uploaded .ics file as holidays (dates already present
    are skipped); a file that cannot be read adds nothing."""
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    try:
        added = services.holidays_import_ical(calendar=calendar, text=_ics_text(request),
                                              now=clock.now())
    except Invalid as error:
        return _refused(request, membership, calendar, error, "import", {})
    if added:
        messages.success(request, f"Imported {len(added)} holiday{'s' if len(added) != 1 else ''}"
                                  f" into “{calendar.name}”.")
    else:
        messages.info(request, "No holidays added: the file's dates were all there already "
                               "(or it has no all-day events).")
    return _back(calendar)


urlpatterns = [
    path("sla/calendars", calendar_list, name="sla_calendars"),
    path("sla/calendars/new", calendar_new, name="sla_calendar_new"),
    path("sla/calendars/<int:calendar_id>", calendar_edit, name="sla_calendar"),
    path("sla/calendars/<int:calendar_id>/delete", calendar_delete, name="sla_calendar_delete"),
    path("sla/calendars/<int:calendar_id>/holidays", holiday_add, name="sla_holiday_add"),
    path("sla/calendars/<int:calendar_id>/holidays/import", holidays_import,
         name="sla_holidays_import"),
    path("sla/calendars/<int:calendar_id>/holidays/<int:holiday_id>/delete", holiday_delete,
         name="sla_holiday_delete"),
]
