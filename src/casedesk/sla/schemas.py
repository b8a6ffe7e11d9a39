"""The SLA API's request and answer schemas (`sla.api`)."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

from casedesk.core.schemas import MAX_ID, Id, RefOut, RequiredText, Text, fits
from casedesk.routing import rules
from casedesk.routing.api import ConditionIn, ConditionOut, ConditionValue
from casedesk.sla import escalation, policies
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy

Minutes = Annotated[int, Field(ge=1, le=policies.MAX_TARGET_MINUTES)]
PolicyName = Annotated[RequiredText, fits(SlaPolicy, "name")]
CalendarName = Annotated[RequiredText, fits(BusinessCalendar, "name")]
HolidayName = Annotated[Text, fits(Holiday, "name")]
EscalationName = Annotated[RequiredText, fits(EscalationRule, "name")]


MAX_POLICIES = 1000  # the most one order lists; far above any real desk's policies


POLICY_HELP = (
    "An SLA policy: when its `conditions` hold for a case (all of them; the same fields and "
    "operators as routing rules, none matches every case) its targets apply. The first "
    "enabled policy in `position` order that matches wins. Each target is a number of "
    "minutes counted in the `calendar`'s business hours (`*_business`: true) or round the "
    "clock; with no calendar, every target counts round the clock. The owner is warned at "
    "`warn_at_percent` of a target. A change recomputes the open cases' clocks in the "
    "background."
)


class PolicyIn(Schema):
    name: PolicyName
    is_enabled: bool = True
    conditions: list[ConditionIn] = Field(default_factory=list,
                                          max_length=rules.MAX_CONDITIONS)
    calendar_id: Id | None = Field(None, description="The business-hours calendar.")
    first_response_minutes: Minutes
    first_response_business: bool = True
    next_response_minutes: Minutes | None = Field(None, description="Optional.")
    next_response_business: bool = True
    resolution_minutes: Minutes
    resolution_business: bool = True
    warn_at_percent: int = Field(75, ge=1, le=100)


class PolicyPatch(Schema):
    name: PolicyName | None = None
    is_enabled: bool | None = None
    conditions: list[ConditionIn] | None = Field(None, max_length=rules.MAX_CONDITIONS)
    calendar_id: Id | None = Field(None, description="null: round the clock.")
    first_response_minutes: Minutes | None = None
    first_response_business: bool | None = None
    next_response_minutes: Minutes | None = Field(None, description="null: no such target.")
    next_response_business: bool | None = None
    resolution_minutes: Minutes | None = None
    resolution_business: bool | None = None
    warn_at_percent: int | None = Field(None, ge=1, le=100)
    position: int | None = Field(None, ge=0, le=MAX_POLICIES, description="0 is first.")


class PolicyOut(Schema):
    id: int
    name: str
    position: int
    is_enabled: bool
    conditions: list[ConditionOut]
    calendar: RefOut | None
    first_response_minutes: int
    first_response_business: bool
    next_response_minutes: int | None
    next_response_business: bool
    resolution_minutes: int
    resolution_business: bool
    warn_at_percent: int
    created_at: datetime
    updated_at: datetime


class PolicyOrderIn(Schema):
    policy_ids: list[Id] = Field(max_length=MAX_POLICIES, description=(
        "Every policy of the tenant, once each, first policy first."))


DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


Shift = Annotated[list[Annotated[Text, Field(max_length=5)]],
                  Field(min_length=2, max_length=2, description='["HH:MM", "HH:MM"]')]


Week = dict[DayName, Annotated[list[Shift], Field(max_length=6)]]


TimeZone = Annotated[Text, fits(BusinessCalendar, "time_zone", min_length=1, description=(
    "An IANA time zone, e.g. `Europe/London`."))]


WEEK_HELP = (
    'The weekly schedule in the calendar\'s time zone: each day (`mon` … `sun`) lists up to '
    'six `["HH:MM", "HH:MM"]` shifts, e.g. `{"mon": [["09:00", "12:00"], ["13:00", '
    '"17:00"]]}`; a shift whose end is not after its start runs overnight (`["22:00", '
    '"06:00"]`), `24:00` ends a day. Days left out have no business hours.'
)


class CalendarIn(Schema):
    name: CalendarName
    time_zone: TimeZone | None = Field(None, description=(
        "An IANA time zone, e.g. `Europe/London`; the tenant's when left out."))
    week: Week = Field(default_factory=dict, description=WEEK_HELP)


class CalendarPatch(Schema):
    name: CalendarName | None = None
    time_zone: TimeZone | None = None
    week: Week | None = Field(None, description=WEEK_HELP)


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    week: dict[DayName, list[list[str]]] = Field(description="Every day, closed days empty.")
    policies: list[RefOut] = Field(description="The policies counting in this calendar.")
    created_at: datetime


class HolidayIn(Schema):
    name: HolidayName = ""
    starts_on: date
    ends_on: date | None = Field(None, description="The last day (inclusive); one day when "
                                                   "left out. At most a year after starts_on.")


class HolidayOut(Schema):
    id: int
    name: str
    starts_on: date
    ends_on: date


def _notify_target(value: str) -> str:
    if value.startswith("user:"):
        digits = value[5:]
        if not (digits.isascii() and digits.isdecimal() and 0 < int(digits) <= MAX_ID):
            raise ValueError("user:<id> names a member by user id")
    return value


NotifyTarget = Annotated[Text, Field(max_length=30), AfterValidator(_notify_target)]


class EscalationConditionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    field: Annotated[Text, Field(max_length=40, description=(
        f"One of {', '.join(escalation.FIELDS)}."))]
    op: Annotated[Text, Field(max_length=20)]
    value: ConditionValue = None


class EscalationActionsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    notify: list[NotifyTarget] = Field(default_factory=list, max_length=20)
    queue_id: Id | None = None
    raise_priority: bool = False


class EscalationActionsOut(Schema):
    notify: list[str]
    queue_id: int | None
    raise_priority: bool


class EscalationRuleIn(Schema):
    name: EscalationName
    is_enabled: bool = True
    conditions: list[EscalationConditionIn] = Field(max_length=20)
    actions: EscalationActionsIn


class EscalationRulePatch(Schema):
    name: EscalationName | None = None
    is_enabled: bool | None = None
    conditions: list[EscalationConditionIn] | None = Field(None, max_length=20)
    actions: EscalationActionsIn | None = None


class EscalationRuleOut(Schema):
    id: int
    name: str
    position: int
    is_enabled: bool
    conditions: list[ConditionOut]
    actions: EscalationActionsOut
    created_at: datetime
    updated_at: datetime
