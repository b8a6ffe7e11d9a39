"""Business-hours calendars (list, the form with its weekly schedule editor, delete) and
their holidays (add a day or a range, delete, import an iCalendar file).

Forms are plain posts answered with a redirect and a message; a refusal shows the page again
with the reason and what was typed, and nothing is saved.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid
from casedesk.sla import calendars, selectors
from casedesk.sla.access import get_calendar_for_member, get_holiday_for_calendar
from casedesk.sla.forms import CalendarForm, HolidayForm, HolidaysImportForm, time_zones
from casedesk.sla.models import BusinessCalendar
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import (
    PageRequest,
    member,
    member_required,
    require_admin,
    require_manager,
)

LIST_TEMPLATE = "sla/calendars.html"
FORM_TEMPLATE = "sla/calendar_form.html"


@member_required
@require_GET
def calendar_list(request: PageRequest) -> HttpResponse:
    membership = require_manager(member(request))
    return render(request, LIST_TEMPLATE, {
        "nav": "sla", "tab": "calendars", "can_edit": membership.is_admin,
        "lines": selectors.calendar_lines(membership.tenant)})


def _form_page(request: PageRequest, membership: Membership, form: CalendarForm,
               calendar: BusinessCalendar | None, *, status: int = 200,
               holiday_form: HolidayForm | None = None,
               import_form: HolidaysImportForm | None = None) -> HttpResponse:
    """The calendar's form and, for a stored calendar, its holidays and their two forms;
    the first refusal of whichever form was sent is shown beside it."""
    error_field, error = form.first_error() if form.is_bound else ("", "")
    holiday_form = holiday_form or HolidayForm()
    import_form = import_form or HolidaysImportForm()
    context: dict[str, Any] = {
        "nav": "sla", "tab": "calendars", "can_edit": membership.is_admin,
        "form": form, "calendar": calendar, "time_zones": time_zones(),
        "holidays": selectors.holidays_of(calendar) if calendar is not None else [],
        "today": clock.now().date(),
        "action_url": (reverse("sla:calendar", args=[calendar.pk]) if calendar is not None
                       else reverse("sla:calendar_new")),
        "error": error, "error_field": error_field,
        "holiday_form": holiday_form, "import_form": import_form,
        "holiday_error": holiday_form.first_error()[1] if holiday_form.is_bound else "",
        "import_error": import_form.first_error()[1] if import_form.is_bound else "",
    }
    return render(request, FORM_TEMPLATE, context, status=status)


@member_required
@require_http_methods(["GET", "POST"])
def calendar_new(request: PageRequest) -> HttpResponse:
    membership = require_admin(member(request))
    if request.method == "POST":
        return _save(request, membership, CalendarForm(request.POST), None)
    form = CalendarForm(time_zone=membership.tenant.time_zone, week=calendars.DEFAULT_WEEK)
    return _form_page(request, membership, form, None)


@member_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: PageRequest, calendar_id: int) -> HttpResponse:
    """The calendar's form and its holidays (read-only for managers)."""
    membership = require_manager(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    if request.method == "POST":
        require_admin(membership)
        return _save(request, membership, CalendarForm(request.POST), calendar)
    return _form_page(request, membership, CalendarForm(calendar=calendar), calendar)


def _save(request: PageRequest, membership: Membership, form: CalendarForm,
          calendar: BusinessCalendar | None) -> HttpResponse:
    status = Invalid.status_code
    if form.is_valid():
        values = form.cleaned_data
        try:
            saved = calendars.calendar_save(tenant=membership.tenant, name=values["name"],
                                           time_zone=values["time_zone"], week=values["week"],
                                           calendar=calendar)
        except Conflict as error:  # the name is taken
            form.add_error("name", error.detail)
            status = error.status_code
        except Invalid as error:
            form.refuse(error)
        else:
            if calendar is None:
                messages.success(request, f"Calendar “{saved.name}” created. Add its holidays "
                                          "below.")
            else:
                messages.success(request, f"Calendar “{saved.name}” saved. Open cases' clocks "
                                          "are being recomputed.")
            return redirect("sla:calendar", calendar_id=saved.pk)
    return _form_page(request, membership, form, calendar, status=status)


@member_required
@require_POST
def calendar_delete(request: PageRequest, calendar_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    calendars.calendar_delete(calendar=calendar, now=clock.now())
    messages.success(request, f"Calendar “{calendar.name}” deleted.")
    return redirect("sla:calendars")


# --- holidays ---------------------------------------------------------------------------------

def _back(calendar: BusinessCalendar) -> HttpResponse:
    return redirect(f"{reverse('sla:calendar', args=[calendar.pk])}#holidays")


@member_required
@require_POST
def holiday_add(request: PageRequest, calendar_id: int) -> HttpResponse:
    """Adds a day (`starts_on`) or a range (to `ends_on`, inclusive) off."""
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    form = HolidayForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        try:
            holiday = calendars.holiday_add(calendar=calendar, name=values["name"],
                                           starts_on=values["starts_on"],
                                           ends_on=values["ends_on"])
        except Invalid as error:
            form.refuse(error)
        else:
            span = (format_date(holiday.starts_on, "j M Y")
                    if holiday.starts_on == holiday.ends_on
                    else f"{format_date(holiday.starts_on, 'j M Y')} – "
                         f"{format_date(holiday.ends_on, 'j M Y')}")
            messages.success(request, f"Holiday “{holiday.name or 'Holiday'}” ({span}) added.")
            return _back(calendar)
    return _form_page(request, membership, CalendarForm(calendar=calendar), calendar,
                      holiday_form=form, status=Invalid.status_code)


@member_required
@require_POST
def holiday_delete(request: PageRequest, calendar_id: int, holiday_id: int) -> HttpResponse:
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    holiday = get_holiday_for_calendar(calendar, holiday_id)
    calendars.holiday_delete(holiday=holiday, now=clock.now())
    messages.success(request, f"Holiday “{holiday.name or 'Holiday'}” deleted.")
    return _back(calendar)


@member_required
@require_POST
def holidays_import(request: PageRequest, calendar_id: int) -> HttpResponse:
    """Adds the all-day events of an uploaded .ics file as holidays (dates already present
    are skipped); a file that cannot be read adds nothing."""
    membership = require_admin(member(request))
    calendar = get_calendar_for_member(membership, calendar_id)
    form = HolidaysImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = calendars.holidays_import_ical(calendar=calendar, text=form.cleaned_data[
                "file"], now=clock.now())
        except Invalid as error:
            form.refuse(error)
        else:
            if added:
                messages.success(request, f"Imported {len(added)} holiday"
                                          f"{'s' if len(added) != 1 else ''} into "
                                          f"“{calendar.name}”.")
            else:
                messages.info(request, "No holidays added: the file's dates were all there "
                                       "already (or it has no all-day events).")
            return _back(calendar)
    return _form_page(request, membership, CalendarForm(calendar=calendar), calendar,
                      import_form=form, status=Invalid.status_code)
