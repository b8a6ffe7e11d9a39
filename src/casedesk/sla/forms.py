"""The SLA set-up forms: what every SLA form shares, and the calendar with its week, the
holiday, the iCalendar import and the settings (the policy form is `sla.policy_forms`, the
escalation-rule form `sla.escalation_forms`). Django forms that turn what the browser sent
into the values `sla.services` takes.

Only the shape is checked here — a number where a number goes, both ends of a shift. Whether
the values make sense is the services' to decide; their refusal lands on the field it names
(`add_domain_error`). A page shows one reason at a time, above the form, with the field at
fault marked by the service's name for it (`first_error`), whichever of the two refused.
Repeated rows — a weekday's shifts, a policy's conditions — are formsets whose rows are
numbered in the input names (`w-mon-0-start`, `c-0-field`), as the pages have always sent
them.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from casedesk.core.errors import DomainError
from casedesk.core.forms import NumberedRows, add_domain_error
from casedesk.core.limits import max_length
from casedesk.routing.forms import (
    ConditionFormSet,
    TypedText,
    edit_rows,
    form_action,
    mark_row_error,
)
from casedesk.routing.words import ConditionRow
from casedesk.sla import calendars
from casedesk.sla.models import BusinessCalendar, Holiday
from casedesk.sla.words import DAY_LABELS, pretty_week_error

NUL_REFUSED = "The form contains a character that cannot be stored."
WHOLE = re.compile(r"^\d{1,6}$")
_LOOSE_TIME = re.compile(r"^(\d):(\d\d)$")


@cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


def _has_nul(data: Any) -> bool:
    sent = (data.lists() if isinstance(data, MultiValueDict)
            else ((name, [value]) for name, value in data.items()))
    return any(isinstance(value, str) and "\x00" in value for _, values in sent
               for value in values)


class SlaForm(forms.Form):
    """A form of the SLA pages: refuses a NUL character anywhere (PostgreSQL cannot store
    one), and tells its first error by the service's name for the field."""

    # The service's field names that differ from the form's: service name -> form name.
    service_fields: ClassVar[dict[str, str]] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if _has_nul(self.data):
            raise ValidationError(NUL_REFUSED, code="nul")
        return cleaned

    def refuse(self, error: DomainError) -> None:
        """Puts the service's refusal on the field it names."""
        add_domain_error(self, error, self.service_fields)

    def first_error(self) -> tuple[str, str]:
        """(the service's name of the field at fault, or "", and the reason)."""
        errors = self.errors
        if NON_FIELD_ERRORS in errors:
            return "", str(errors[NON_FIELD_ERRORS][0])
        names = {form: service for service, form in self.service_fields.items()}
        for name, messages in errors.items():
            return names.get(name, name), str(messages[0])
        return "", ""


class WholeNumberField(forms.Field):
    """A count typed in digits; empty is None."""

    def __init__(self, *, what: str) -> None:
        super().__init__(required=False)
        self.what = what

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        if not WHOLE.match(text):
            raise ValidationError(f"{self.what} must be a whole number.", code="invalid")
        return int(text)


class PickedField(forms.Field):
    """Several values picked (checkboxes, a multiple select); what `keep` refuses is left out
    rather than refused, as a browser only sends what the page offered."""

    widget = forms.SelectMultiple

    def __init__(self, *, keep: Callable[[str], bool], limit: int | None = None) -> None:
        super().__init__(required=False)
        self.keep, self.limit = keep, limit

    def to_python(self, value: Any) -> list[str]:
        picked = [v for v in value or [] if isinstance(v, str) and self.keep(v)]
        return picked[:self.limit] if self.limit is not None else picked


class ConditionsField(forms.Field):
    """Stands for a form's condition rows (read by `ConditionFormSet`), so that a refusal of
    the conditions has a field to land on."""

    widget = forms.HiddenInput

    def __init__(self) -> None:
        super().__init__(required=False)


def condition_rows(data: Any, stored: list[ConditionRow]) -> list[ConditionRow]:
    """The rows as sent, or else the stored (or first) rows."""
    return stored if data is None else ConditionFormSet(data, prefix="c").rows()


class ConditionsForm(SlaForm):
    """A form with condition rows (`c-<n>-…`) and the rows' own buttons (add, remove:<n>)."""

    rows: list[ConditionRow]
    focus_row: int | None = None

    def apply_row_button(self, new_row: Callable[[], ConditionRow] = ConditionRow) -> bool:
        """Applies a row button, if that is what was pressed (else the form is to be saved)."""
        if not isinstance(self.data, QueryDict):
            return False
        action, row = form_action(self.data)
        if action not in ("add", "remove"):
            return False
        focus = edit_rows(self.rows, action, row, new_row=new_row)
        self.focus_row = focus if action == "add" else None
        return True

    def refuse(self, error: DomainError) -> None:
        super().refuse(error)
        mark_row_error(self.rows, error.detail)


# --- calendars ---------------------------------------------------------------------------------

MIN_SHIFT_ROWS = 3
MAX_SHIFT_ROWS = 6  # what the service's week parser accepts


class ShiftForm(forms.Form):
    """One shift of a weekday, as typed."""

    start = TypedText(clip=10)
    end = TypedText(clip=10)


class ShiftFormSet(NumberedRows[ShiftForm]):
    """A weekday's shifts (prefix `w-<day>`)."""

    form = ShiftForm
    max_num = absolute_max = MAX_SHIFT_ROWS

    def typed(self) -> list[tuple[str, str]]:
        return [(form.cleaned_data["start"], form.cleaned_data["end"])
                for form in self.forms if form.is_valid()]


def _padded(text: str) -> str:
    """"9:00" as "09:00"; anything else as typed (the service says what is wrong)."""
    text = text.strip()
    loose = _LOOSE_TIME.match(text)
    return f"0{loose.group(1)}:{loose.group(2)}" if loose else text


@dataclass
class Day:
    """One weekday of the schedule editor: its shifts as typed (or stored)."""

    key: str
    label: str
    shifts: list[tuple[str, str]]
    has_error: bool = False

    @property
    def slots(self) -> list[tuple[str, str]]:
        """What the editor shows: the shifts and room for more (at least three slots)."""
        shifts = self.shifts[:MAX_SHIFT_ROWS]
        while shifts and shifts[-1] == ("", ""):
            shifts = shifts[:-1]
        count = min(MAX_SHIFT_ROWS, max(MIN_SHIFT_ROWS, len(shifts) + 1))
        return shifts + [("", "")] * (count - len(shifts))


def _stored_week(week: Any) -> dict[str, list[tuple[str, str]]]:
    stored: dict[str, list[tuple[str, str]]] = {}
    if isinstance(week, dict):
        for key in calendars.DAY_KEYS:
            stored[key] = [(str(s[0]), str(s[1])) for s in week.get(key) or []
                           if isinstance(s, list | tuple) and len(s) == 2]
    return stored


def _slots(data: Any, key: str) -> dict[str, str]:
    """Every slot of the day's editor by its place: a slot left empty keeps the place of
    those after it ("shift 3" stays the third)."""
    return {name: str(data.get(name) or "") for n in range(MAX_SHIFT_ROWS)
            for name in (f"w-{key}-{n}-start", f"w-{key}-{n}-end")}


class CalendarForm(SlaForm):
    """A calendar's name, time zone and weekly schedule (a formset per day, `w-<day>`)."""

    name = TypedText(clip=300)
    time_zone = TypedText(clip=max_length(BusinessCalendar, "time_zone"), strip=True)
    # Stands for the schedule read from the days' rows, so its refusals have a field.
    week = forms.Field(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any = None, *, calendar: BusinessCalendar | None = None,
                 time_zone: str = "UTC", week: Any = None) -> None:
        initial = ({"name": calendar.name, "time_zone": calendar.time_zone}
                   if calendar is not None else {"time_zone": time_zone})
        super().__init__(data, initial=initial)
        stored = _stored_week(calendar.week if calendar is not None else week or {})
        self.days = [Day(key=key, label=DAY_LABELS[key],
                         shifts=(ShiftFormSet(_slots(data, key), prefix=f"w-{key}").typed()
                                 if data is not None else stored.get(key, [])))
                     for key in calendars.DAY_KEYS]

    def clean_week(self) -> dict[str, list[list[str]]]:
        """The schedule as `calendar_save` takes it; empty slots are dropped."""
        week: dict[str, list[list[str]]] = {}
        for day in self.days:
            shifts = []
            for n, (start, end) in enumerate(day.shifts, start=1):
                start, end = _padded(start), _padded(end)
                if not start and not end:
                    continue
                if not start or not end:
                    day.has_error = True
                    raise ValidationError(f"{day.key}: shift {n} needs a start and an end.")
                shifts.append([start, end])
            if shifts:
                week[day.key] = shifts
        return week

    def refuse(self, error: DomainError) -> None:
        """A refusal of the week marks the day it names ("mon: …")."""
        super().refuse(error)
        if getattr(error, "field", None) == "week":
            key = error.detail.split(":", 1)[0].strip()
            for day in self.days:
                day.has_error = day.has_error or day.key == key

    def first_error(self) -> tuple[str, str]:
        field, message = super().first_error()
        return field, pretty_week_error(message)

    @property
    def chosen_zone(self) -> str:
        zone = str(self["time_zone"].value() or "").strip()
        return zone[:max_length(BusinessCalendar, "time_zone")]


class DateField(forms.Field):
    """A date such as 2026-12-24 (what a browser's date input sends)."""

    def __init__(self, *, what: str) -> None:
        super().__init__(required=False)
        self.what = what

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"{self.what} is a date such as 2026-12-24.",
                                  code="invalid") from None


class HolidayForm(SlaForm):
    """A day (`starts_on`) or a range (to `ends_on`, inclusive) off."""

    name = TypedText(clip=max_length(Holiday, "name"))
    starts_on = DateField(what="The first day")
    ends_on = DateField(what="The last day")

    def clean_starts_on(self) -> date:
        starts_on: date | None = self.cleaned_data.get("starts_on")
        if starts_on is None:
            raise ValidationError("Give the holiday's date (its first day for a range).",
                                  code="required")
        return starts_on


MAX_ICS_BYTES = 1_000_000


class HolidaysImportForm(SlaForm):
    """An uploaded iCalendar (.ics) file, read as text."""

    file = forms.Field(required=False, widget=forms.FileInput)

    def clean_file(self) -> str:
        upload: UploadedFile[bytes] | None = self.cleaned_data.get("file")
        if upload is None:
            raise ValidationError("Choose an iCalendar (.ics) file to import.", code="required")
        if upload.size is not None and upload.size > MAX_ICS_BYTES:
            raise ValidationError("The file is larger than 1 MB; a holiday calendar is much "
                                  "smaller.", code="too_big")
        raw: bytes = upload.read(MAX_ICS_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text, so it is not an iCalendar "
                                  "file.", code="invalid") from None
        if "\x00" in text:
            raise ValidationError("The file contains a character that cannot be stored.",
                                  code="nul")
        return text


# --- settings ----------------------------------------------------------------------------------

class SettingsForm(SlaForm):
    """Whether clocks pause while a case waits on the customer, and how often the scheduled
    sweep runs (0 or empty: only when an admin runs it)."""

    sla_pause_when_pending = forms.BooleanField(required=False)
    sla_sweep_minutes = WholeNumberField(what="The sweep interval")

    def changes(self) -> dict[str, Any]:
        """The settings as `sla_settings_update` takes them."""
        minutes = self.cleaned_data["sla_sweep_minutes"]
        return {"sla_pause_when_pending": self.cleaned_data["sla_pause_when_pending"],
                "sla_sweep_minutes": 0 if minutes is None else minutes}
