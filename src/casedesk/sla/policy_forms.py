"""The SLA policy form: name, conditions (routing's condition rows), calendar, three targets
typed in hours and minutes, the warning; turned into what `policy_create` and `policy_update`
take, and a stored policy turned back into the form (what every SLA form shares is in
`sla.forms`)."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from casedesk.routing.forms import TypedText, condition_of_row
from casedesk.routing.words import ConditionRow, rows_of_conditions
from casedesk.sla import policies
from casedesk.sla.forms import (
    WHOLE,
    ConditionsField,
    ConditionsForm,
    WholeNumberField,
    condition_rows,
)
from casedesk.sla.models import SlaPolicy


class HoursAndMinutes(forms.Widget):
    """A target typed in two inputs, `<key>_hours` and `<key>_mins`, for the field
    `<key>_minutes`."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[str, str]:
        key = name.removesuffix("_minutes")
        return (str(data.get(f"{key}_hours") or "")[:10],
                str(data.get(f"{key}_mins") or "")[:10])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class TargetField(forms.Field):
    """A target in minutes, typed as hours and minutes."""

    widget = HoursAndMinutes

    def __init__(self, *, label: str, optional: bool = False) -> None:
        super().__init__(required=False, label=label)
        self.optional = optional

    def _whole(self, text: str, what: str) -> int | None:
        text = text.strip()
        if not text:
            return None
        if not WHOLE.match(text):
            raise ValidationError(f"{self.label}: the {what} must be a whole number.")
        return int(text)

    def to_python(self, value: Any) -> int | None:
        typed_hours, typed_minutes = value if isinstance(value, tuple) else ("", "")
        hours = self._whole(typed_hours, "hours")
        minutes = self._whole(typed_minutes, "minutes")
        if hours is None and minutes is None:
            if self.optional:
                return None
            raise ValidationError(f"{self.label}: give a target in hours and minutes.")
        if minutes is not None and minutes > 59:
            raise ValidationError(f"{self.label}: minutes go from 0 to 59.")
        total = (hours or 0) * 60 + (minutes or 0)
        if total == 0:
            raise ValidationError(f"{self.label}: a target of at least one minute.")
        if total > policies.MAX_TARGET_MINUTES:
            raise ValidationError(f"{self.label}: a target of at most "
                                  f"{policies.MAX_TARGET_MINUTES // 60} hours (366 days).")
        return total


class CountedInField(forms.Field):
    """Whether a target counts business hours ("1", or nothing sent) or every hour ("0")."""

    def __init__(self) -> None:
        super().__init__(required=False)

    def to_python(self, value: Any) -> bool:
        return value not in ("0", False)


TARGETS = (("first_response", "First response", False), ("next_response", "Next response", True),
           ("resolution", "Resolution", False))


@dataclass(frozen=True)
class TargetRow:
    """One target as the form's table shows it."""

    key: str
    label: str
    required: bool
    hours: str
    minutes: str
    business: bool

    @property
    def field(self) -> str:
        return f"{self.key}_minutes"


class PolicyForm(ConditionsForm):
    """An SLA policy as typed: name, conditions (`c-<n>-…` rows), calendar, three targets in
    hours and minutes, the warning and whether it is enabled."""

    service_fields = {"calendar_id": "calendar"}

    name = TypedText(clip=300)
    is_enabled = forms.BooleanField(required=False)
    conditions = ConditionsField()
    calendar = TypedText(clip=20, strip=True)
    first_response_minutes = TargetField(label="First response")
    first_response_business = CountedInField()
    next_response_minutes = TargetField(label="Next response", optional=True)
    next_response_business = CountedInField()
    resolution_minutes = TargetField(label="Resolution")
    resolution_business = CountedInField()
    warn_at_percent = WholeNumberField(what="The warning")

    def __init__(self, data: Any = None, *, policy: SlaPolicy | None = None,
                 calendar_id: int | None = None) -> None:
        """Bound to what was sent, or else showing `policy` (a new one counting in the
        calendar `calendar_id`)."""
        if policy is None:
            initial: dict[str, Any] = {"is_enabled": True, "warn_at_percent": 75,
                                       "calendar": str(calendar_id or "")}
            stored = [ConditionRow(field="priority", op="equals", value="normal")]
        else:
            initial = {"name": policy.name, "is_enabled": policy.is_enabled,
                       "calendar": str(policy.calendar_id or ""),
                       "warn_at_percent": policy.warn_at_percent}
            for key, _, _ in TARGETS:
                initial[f"{key}_minutes"] = getattr(policy, f"{key}_minutes")
                initial[f"{key}_business"] = getattr(policy, f"{key}_business")
            stored = rows_of_conditions(policy.conditions)
        super().__init__(data, initial=initial)
        self.rows = condition_rows(data, stored)

    def clean_conditions(self) -> list[dict[str, Any]]:
        return [condition_of_row(row) for row in self.rows]

    def clean_calendar(self) -> int | None:
        raw: str = self.cleaned_data["calendar"]
        if raw and not (raw.isdecimal() and len(raw) < 19):
            raise ValidationError("Choose the calendar from the list.")
        return int(raw) if raw else None

    def clean_warn_at_percent(self) -> int:
        warn: int | None = self.cleaned_data["warn_at_percent"]
        if warn is not None and not 1 <= warn <= 100:
            raise ValidationError("The warning comes at 1 to 100 % of a target.")
        return 75 if warn is None else warn

    def values(self) -> dict[str, Any]:
        """What `policy_create` and `policy_update` take."""
        data = self.cleaned_data
        values = {name: data[name] for name in ("name", "is_enabled", "conditions",
                                                "warn_at_percent")}
        values["calendar_id"] = data["calendar"]
        for key, _, _ in TARGETS:
            values[f"{key}_minutes"] = data[f"{key}_minutes"]
            values[f"{key}_business"] = data[f"{key}_business"]
        return values

    def targets(self) -> list[TargetRow]:
        """The targets' table: as typed, or as stored."""
        rows = []
        for key, label, optional in TARGETS:
            typed = self[f"{key}_minutes"].value()
            if isinstance(typed, int):
                typed = (str(typed // 60), str(typed % 60))
            hours, minutes = typed if isinstance(typed, tuple) else ("", "")
            rows.append(TargetRow(key=key, label=label, required=not optional, hours=hours,
                                  minutes=minutes,
                                  business=self[f"{key}_business"].value() not in ("0", False)))
        return rows
