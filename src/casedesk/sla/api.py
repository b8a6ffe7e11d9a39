"""The SLA API: policies in order, business-hours calendars and their holidays (with an
iCalendar import) and escalation rules. Managers and admins read; admins write. Handlers
parse, fetch through `sla.access`, read through `sla.selectors` and call the services of
`sla.policies`, `sla.calendars` and `sla.escalation`. The breach sweep, which changes cases,
is `cases.sla_api`."""

import json
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import Field, TypeAdapter
from pydantic import ValidationError as SchemaError

from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.priority import PRIORITY_BY_RUNG
from casedesk.core.schemas import Error, Text
from casedesk.routing.api import ConditionIn
from casedesk.sla import calendars, escalation, policies, selectors
from casedesk.sla.access import (
    get_calendar_for_member,
    get_escalation_rule_for_member,
    get_holiday_for_calendar,
    get_policy_for_member,
)
from casedesk.sla.models import BusinessCalendar, EscalationRule, SlaPolicy
from casedesk.sla.schemas import (
    POLICY_HELP,
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    EscalationRuleIn,
    EscalationRuleOut,
    EscalationRulePatch,
    HolidayIn,
    HolidayOut,
    PolicyIn,
    PolicyOrderIn,
    PolicyOut,
    PolicyPatch,
)
from casedesk.tenancy.api_auth import require_admin, require_manager
from casedesk.tenancy.models import Membership

router = Router(tags=["sla"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
MAX_ICS_BYTES = 1024 * 1024


def _priority_name(value: Any) -> Any:
    if isinstance(value, list):
        return [_priority_name(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return PRIORITY_BY_RUNG.get(value, value)
    return value


def _conditions_out(stored: Any) -> list[dict[str, Any]]:
    """Conditions as stored, with priorities named (they may be stored as rungs)."""
    out = []
    for condition in stored if isinstance(stored, list) else []:
        if not isinstance(condition, dict):
            continue
        value = condition.get("value")
        if condition.get("field") == "priority":
            value = _priority_name(value)
        out.append({"field": condition.get("field"), "op": condition.get("op"), "value": value})
    return out


def _ref(row: Any) -> dict[str, Any] | None:
    return {"id": row.pk, "name": row.name} if row is not None else None


def _refuse_nulls(changes: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    for name, value in changes.items():
        if value is None and name not in allowed:
            raise Invalid(f"{name} cannot be null.", field=name)


# --- policies ---------------------------------------------------------------------------------


def policy_out(policy: SlaPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk, "name": policy.name, "position": policy.position,
        "is_enabled": policy.is_enabled, "conditions": _conditions_out(policy.conditions),
        "calendar": _ref(policy.calendar),
        "first_response_minutes": policy.first_response_minutes,
        "first_response_business": policy.first_response_business,
        "next_response_minutes": policy.next_response_minutes,
        "next_response_business": policy.next_response_business,
        "resolution_minutes": policy.resolution_minutes,
        "resolution_business": policy.resolution_business,
        "warn_at_percent": policy.warn_at_percent,
        "created_at": policy.created_at, "updated_at": policy.updated_at,
    }


def _policies(membership: Membership) -> list[dict[str, Any]]:
    return [policy_out(p) for p in selectors.policies_in_order(membership.tenant_id)]


def _conditions_in(conditions: list[ConditionIn]) -> list[dict[str, Any]]:
    return [c.dict(exclude_unset=True) for c in conditions]


@router.get("/sla/policies", response={200: list[PolicyOut], **ERRORS},
            summary="List SLA policies in order")
def list_policies(request: HttpRequest) -> Any:
    """The tenant's SLA policies, first policy first (managers and admins)."""
    return _policies(require_manager(request))


@router.post("/sla/policies", response={201: PolicyOut, **ERRORS},
             summary="Create an SLA policy", description=POLICY_HELP)
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    """The new policy goes last; move it with `position` or `POST /sla/policies/order`."""
    admin = require_admin(request)
    values = {**payload.dict(), "conditions": _conditions_in(payload.conditions)}
    policy = policies.policy_create(tenant=admin.tenant, values=values, now=clock.now())
    return 201, policy_out(get_policy_for_member(admin, policy.pk))


@router.post("/sla/policies/order", response={200: list[PolicyOut], **ERRORS},
             summary="Put the SLA policies in order")
def order_policies(request: HttpRequest, payload: PolicyOrderIn) -> Any:
    admin = require_admin(request)
    policies.policies_reorder(tenant=admin.tenant, policy_ids=payload.policy_ids,
                              now=clock.now())
    return _policies(admin)


@router.get("/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS},
            summary="Read an SLA policy")
def get_policy(request: HttpRequest, policy_id: int) -> Any:
    return policy_out(get_policy_for_member(require_manager(request), policy_id))


@router.patch("/sla/policies/{policy_id}", response={200: PolicyOut, **ERRORS},
              summary="Change an SLA policy")
def patch_policy(request: HttpRequest, policy_id: int, payload: PolicyPatch) -> Any:
    """Changes the fields sent; `conditions` replace the policy's own, `position` moves it
    (0 is first), `calendar_id` null counts round the clock, `next_response_minutes` null
    drops that target."""
    admin = require_admin(request)
    policy = get_policy_for_member(admin, policy_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, allowed=("calendar_id", "next_response_minutes"))
    if payload.conditions is not None:
        changes["conditions"] = _conditions_in(payload.conditions)
    policies.policy_update(policy=policy, changes=changes, now=clock.now())
    return policy_out(get_policy_for_member(admin, policy_id))


@router.delete("/sla/policies/{policy_id}", response={204: None, **ERRORS},
               summary="Delete an SLA policy")
def delete_policy(request: HttpRequest, policy_id: int) -> Any:
    """Open cases it applied to take the next matching policy (or none)."""
    admin = require_admin(request)
    policies.policy_delete(policy=get_policy_for_member(admin, policy_id), now=clock.now())
    return 204, None


# --- calendars and holidays -------------------------------------------------------------------


ICS_HELP = (
    "Adds the all-day events (VEVENTs with DATE values) of an iCalendar file (RFC 5545) as "
    "holidays; events whose dates the calendar already has are skipped. Send the file as the "
    "body with `Content-Type: text/calendar`, or as JSON `{\"ics\": \"BEGIN:VCALENDAR…\"}`. "
    "At most 1 MB (413 beyond) and 1,000 events; a file that is not iCalendar is a 422 "
    "naming the field `file`. Answers the holidays added."
)
ICS_BODY = {
    "required": True,
    "content": {
        "text/calendar": {"schema": {"type": "string", "maxLength": MAX_ICS_BYTES}},
        "application/json": {"schema": {
            "type": "object", "title": "IcsIn", "required": ["ics"],
            "properties": {"ics": {"type": "string", "maxLength": MAX_ICS_BYTES,
                                   "description": "The iCalendar file's text."}}}},
    },
}
_ICS_JSON = TypeAdapter(dict[Literal["ics"], Annotated[Text, Field(max_length=MAX_ICS_BYTES)]])


def calendar_out(calendar: BusinessCalendar) -> dict[str, Any]:
    week = calendar.week if isinstance(calendar.week, dict) else {}
    return {
        "id": calendar.pk, "name": calendar.name, "time_zone": calendar.time_zone,
        "week": {day: [list(shift) for shift in week.get(day) or []]
                 for day in calendars.DAY_KEYS},
        "policies": [_ref(p) for p in calendar.policies.all()],
        "created_at": calendar.created_at,
    }


@router.get("/sla/calendars", response={200: list[CalendarOut], **ERRORS},
            summary="List business-hours calendars")
def list_calendars(request: HttpRequest) -> Any:
    """The tenant's calendars (managers and admins)."""
    manager = require_manager(request)
    return [calendar_out(c) for c in selectors.calendars_with_policies(manager.tenant_id)]


@router.post("/sla/calendars", response={201: CalendarOut, **ERRORS},
             summary="Create a business-hours calendar")
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Any:
    """A name already taken is a 409."""
    admin = require_admin(request)
    calendar = calendars.calendar_save(tenant=admin.tenant, name=payload.name,
                                      time_zone=payload.time_zone or admin.tenant.time_zone,
                                      week=payload.week)
    return 201, calendar_out(get_calendar_for_member(admin, calendar.pk))


@router.get("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS},
            summary="Read a business-hours calendar")
def get_calendar(request: HttpRequest, calendar_id: int) -> Any:
    return calendar_out(get_calendar_for_member(require_manager(request), calendar_id))


@router.patch("/sla/calendars/{calendar_id}", response={200: CalendarOut, **ERRORS},
              summary="Change a business-hours calendar")
def patch_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch) -> Any:
    """Changes the fields sent (`week` replaces the whole schedule); the open cases of its
    policies get their clocks recomputed in the background."""
    admin = require_admin(request)
    calendar = get_calendar_for_member(admin, calendar_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes)
    calendars.calendar_save(tenant=admin.tenant, calendar=calendar,
                           name=changes.get("name", calendar.name),
                           time_zone=changes.get("time_zone", calendar.time_zone),
                           week=changes.get("week", calendar.week))
    return calendar_out(get_calendar_for_member(admin, calendar_id))


@router.delete("/sla/calendars/{calendar_id}", response={204: None, **ERRORS},
               summary="Delete a business-hours calendar")
def delete_calendar(request: HttpRequest, calendar_id: int) -> Any:
    """Deletes it with its holidays; policies that used it count round the clock after."""
    admin = require_admin(request)
    calendars.calendar_delete(calendar=get_calendar_for_member(admin, calendar_id), now=clock.now())
    return 204, None


@router.get("/sla/calendars/{calendar_id}/holidays", response={200: list[HolidayOut], **ERRORS},
            summary="A calendar's holidays")
def list_holidays(request: HttpRequest, calendar_id: int) -> Any:
    calendar = get_calendar_for_member(require_manager(request), calendar_id)
    return selectors.holidays_of(calendar)


@router.post("/sla/calendars/{calendar_id}/holidays", response={201: HolidayOut, **ERRORS},
             summary="Add a holiday (a day or a range of days)")
def add_holiday(request: HttpRequest, calendar_id: int, payload: HolidayIn) -> Any:
    admin = require_admin(request)
    calendar = get_calendar_for_member(admin, calendar_id)
    return 201, calendars.holiday_add(calendar=calendar, name=payload.name,
                                     starts_on=payload.starts_on, ends_on=payload.ends_on)


@router.post("/sla/calendars/{calendar_id}/holidays/import",
             response={200: list[HolidayOut], 413: Error, **ERRORS},
             summary="Import holidays from an iCalendar file", description=ICS_HELP,
             openapi_extra={"requestBody": ICS_BODY})
def import_holidays(request: HttpRequest, calendar_id: int) -> Any:
    admin = require_admin(request)
    calendar = get_calendar_for_member(admin, calendar_id)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_ICS_BYTES or len(request.body) > MAX_ICS_BYTES:
        return 413, {"detail": "An iCalendar file may be at most 1 MB."}
    return calendars.holidays_import_ical(calendar=calendar, text=_ics_text(request),
                                         now=clock.now())


# After the import: Django tries the paths in order, and `import` is no holiday id.
@router.delete("/sla/calendars/{calendar_id}/holidays/{holiday_id}",
               response={204: None, **ERRORS}, summary="Delete a holiday")
def delete_holiday(request: HttpRequest, calendar_id: int, holiday_id: int) -> Any:
    admin = require_admin(request)
    holiday = get_holiday_for_calendar(get_calendar_for_member(admin, calendar_id), holiday_id)
    calendars.holiday_delete(holiday=holiday, now=clock.now())
    return 204, None


def _ics_text(request: HttpRequest) -> str:
    """The file's text from a text/calendar body or a JSON {"ics": ...}; Invalid otherwise."""
    try:
        raw = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text.", field="file") from None
    if request.content_type != "application/json":
        try:
            return _ICS_JSON.validate_python({"ics": raw})["ics"]
        except SchemaError:
            raise Invalid("The file must not contain NUL characters.", field="file") from None
    try:
        text = _ICS_JSON.validate_python(json.loads(raw)).get("ics")
    except (ValueError, RecursionError, SchemaError):  # JSONDecodeError is a ValueError
        text = None
    if text is None:  # not JSON, not an object, or an object without "ics"
        raise Invalid('Send {"ics": "<the iCalendar text>"} (or the file itself with '
                      "Content-Type: text/calendar).", field="file")
    return text


# --- escalation rules -------------------------------------------------------------------------

ESCALATION_HELP = (
    "An escalation rule: each breach sweep gives the open cases matching all its "
    "`conditions` its `actions`, once per rule and case. Conditions: "
    + "; ".join(f"`{name}` ({', '.join(ops)})" for name, ops in escalation.FIELDS.items())
    + ". `age_hours` and `idle_hours` (no update for N hours) take hours; `priority` a "
    "priority name; `status` an open status; `queue_id` queue ids; `breached` "
    "`first_response`, `resolution` or `any`. Actions: `notify` (`owner`, `owner_manager`, "
    "`managers`, `admins` or `user:<id>`), `queue_id` (move there, unassigned), "
    "`raise_priority`."
)


def escalation_rule_out(rule: EscalationRule) -> dict[str, Any]:
    actions = rule.actions if isinstance(rule.actions, dict) else {}
    return {
        "id": rule.pk, "name": rule.name, "position": rule.position,
        "is_enabled": rule.is_enabled, "conditions": _conditions_out(rule.conditions),
        "actions": {"notify": actions.get("notify", []), "queue_id": actions.get("queue_id"),
                    "raise_priority": bool(actions.get("raise_priority", False))},
        "created_at": rule.created_at, "updated_at": rule.updated_at,
    }


@router.get("/sla/escalation-rules", response={200: list[EscalationRuleOut], **ERRORS},
            summary="List escalation rules")
def list_escalation_rules(request: HttpRequest) -> Any:
    """The tenant's escalation rules in the order the sweep runs them (managers and admins)."""
    manager = require_manager(request)
    return [escalation_rule_out(r)
            for r in selectors.escalation_rules_in_order(manager.tenant_id)]


@router.post("/sla/escalation-rules", response={201: EscalationRuleOut, **ERRORS},
             summary="Create an escalation rule", description=ESCALATION_HELP)
def create_escalation_rule(request: HttpRequest, payload: EscalationRuleIn) -> Any:
    admin = require_admin(request)
    rule = escalation.escalation_rule_save(tenant=admin.tenant, values=payload.dict(),
                                         now=clock.now())
    return 201, escalation_rule_out(rule)


@router.get("/sla/escalation-rules/{escalation_rule_id}",
            response={200: EscalationRuleOut, **ERRORS}, summary="Read an escalation rule")
def get_escalation_rule(request: HttpRequest, escalation_rule_id: int) -> Any:
    manager = require_manager(request)
    return escalation_rule_out(get_escalation_rule_for_member(manager, escalation_rule_id))


@router.patch("/sla/escalation-rules/{escalation_rule_id}",
              response={200: EscalationRuleOut, **ERRORS}, summary="Change an escalation rule")
def patch_escalation_rule(request: HttpRequest, escalation_rule_id: int,
                          payload: EscalationRulePatch) -> Any:
    """Changes the fields sent; `conditions` and `actions` replace the rule's own."""
    admin = require_admin(request)
    rule = get_escalation_rule_for_member(admin, escalation_rule_id)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes)
    return escalation_rule_out(escalation.escalation_rule_save(
        tenant=admin.tenant, values=changes, now=clock.now(), rule=rule))


@router.delete("/sla/escalation-rules/{escalation_rule_id}", response={204: None, **ERRORS},
               summary="Delete an escalation rule")
def delete_escalation_rule(request: HttpRequest, escalation_rule_id: int) -> Any:
    admin = require_admin(request)
    rule = get_escalation_rule_for_member(admin, escalation_rule_id)
    escalation.escalation_rule_delete(rule=rule)
    return 204, None
