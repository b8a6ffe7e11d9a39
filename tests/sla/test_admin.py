"""Managing policies, calendars, holidays (iCalendar import) and escalation rules."""

from datetime import date, timedelta

import pytest

from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.core.errors import Invalid
from casedesk.routing.models import Queue
from casedesk.sla.calendars import calendar_save, holidays_import_ical
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, Holiday, SlaPolicy
from casedesk.sla.policies import (
    policies_reorder,
    policy_create,
    policy_update,
    sla_settings_update,
)
from tests.conftest import NOW
from tests.factories import make_case

H = timedelta(hours=1)
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas\\, and the days\r
  after\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTART;VALUE=DATE:20270101\r
SUMMARY:New Year\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_new_policy_first_in_order_changes_open_cases_clocks(
        tenant, django_capture_on_commit_callbacks) -> None:
    case = make_case(tenant, now=NOW, category="Billing")
    assert case.first_response_due_at == NOW + 8 * H
    with django_capture_on_commit_callbacks(execute=True):
        vip = policy_create(tenant=tenant, now=NOW, values={
        "name": "Billing fast", "conditions": [
            {"field": "category", "op": "equals", "value": "Billing"}],
        "first_response_minutes": 30, "first_response_business": False,
        "resolution_minutes": 240, "resolution_business": False})
    with django_capture_on_commit_callbacks(execute=True):
        policies_reorder(tenant=tenant, now=NOW, policy_ids=[vip.pk, *SlaPolicy.objects.filter(
            tenant=tenant).exclude(pk=vip.pk).values_list("pk", flat=True)])
    case.refresh_from_db()  # recomputed by the task (inline in tests)
    assert case.sla_policy_id == vip.pk
    assert case.first_response_due_at == NOW + timedelta(minutes=30)


@pytest.mark.parametrize(("values", "field"), [
    ({"name": ""}, "name"),
    ({"first_response_minutes": 0}, "first_response_minutes"),
    ({"resolution_minutes": "4h"}, "resolution_minutes"),
    ({"warn_at_percent": 150}, "warn_at_percent"),
    ({"calendar_id": 999999}, "calendar_id"),
    ({"conditions": [{"field": "nope", "op": "equals", "value": 1}]}, "conditions"),
])
def test_bad_policies_are_refused(tenant, values, field) -> None:
    base = {"name": "P", "first_response_minutes": 60, "resolution_minutes": 120}
    with pytest.raises(Invalid) as error:
        policy_create(tenant=tenant, now=NOW, values={**base, **values})
    assert error.value.field == field
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    with pytest.raises(Invalid):
        policy_update(policy=policy, now=NOW, changes=values)


def test_holidays_come_from_an_icalendar_file_and_move_due_times(tenant) -> None:
    calendar = BusinessCalendar.objects.get(tenant=tenant)
    added = holidays_import_ical(calendar=calendar, text=ICS, now=NOW)
    assert [(h.name, h.starts_on, h.ends_on) for h in added] == [
        ("Christmas, and the days after", date(2026, 12, 24), date(2026, 12, 26)),
        ("New Year", date(2027, 1, 1), date(2027, 1, 1))]
    assert holidays_import_ical(calendar=calendar, text=ICS, now=NOW) == []  # no duplicates
    wednesday = NOW + 30 * 24 * H  # 23 December, 09:00
    case = make_case(tenant, now=wednesday)
    # 8 h on the 23rd; the 24th–26th are holidays and the 27th a Sunday; 8 h on Monday 28th
    # and the last 8 on Tuesday 29th.
    assert case.resolution_due_at == wednesday + 6 * 24 * H + 8 * H


@pytest.mark.parametrize(("text", "message"), [
    ("hello", "not an iCalendar file"),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-12\nEND:VEVENT\nEND:VCALENDAR", "not a date"),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR", "without DTSTART"),
])
def test_broken_icalendar_files_are_refused(tenant, text, message) -> None:
    calendar = BusinessCalendar.objects.get(tenant=tenant)
    with pytest.raises(Invalid, match=message):
        holidays_import_ical(calendar=calendar, text=text, now=NOW)
    assert not Holiday.objects.exists()


def test_calendars_check_their_schedule_and_zone(tenant) -> None:
    calendar = calendar_save(tenant=tenant, name="Night desk", time_zone="Asia/Kolkata",
                             week={"mon": [["22:00", "06:00"]], "sat": [["10:00", "14:00"]]})
    assert calendar.pk
    for week, zone, field in ([{"mon": [["9", "17"]]}, "UTC", "week"],
                              [{"funday": []}, "UTC", "week"],
                              [{"mon": [["09:00", "09:00"]]}, "UTC", "week"],
                              [{}, "Mars/Base", "time_zone"]):
        with pytest.raises(Invalid) as error:
            calendar_save(tenant=tenant, name="Bad", time_zone=zone, week=week)
        assert error.value.field == field


def test_escalation_rules_are_checked(tenant, other_tenant, outsider) -> None:
    rule = escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "Old", "conditions": [{"field": "age_hours", "op": "gt", "value": 48}],
        "actions": {"notify": ["managers"]}})
    assert rule.conditions == [{"field": "age_hours", "op": "gt", "value": 48.0}]
    foreign = Queue.objects.get(tenant=other_tenant, name="Support")
    with pytest.raises(Invalid, match="No active queue"):
        escalation_rule_save(tenant=tenant, now=NOW, rule=rule,
                             values={"actions": {"queue_id": foreign.pk}})
    with pytest.raises(Invalid, match="not a member"):
        escalation_rule_save(tenant=tenant, now=NOW, rule=rule,
                             values={"actions": {"notify": [f"user:{outsider.user_id}"]}})


def test_turning_pauses_off_restarts_waiting_clocks(tenant,
                                                    django_capture_on_commit_callbacks) -> None:
    case = make_case(tenant, now=NOW)
    for to in ("open", "in_progress", "pending_customer"):
        case = case_transition(case=case, actor=None, to=to, note="n", now=NOW + H)
    assert case.first_response_due_at is None
    with django_capture_on_commit_callbacks(execute=True):
        sla_settings_update(tenant=tenant, changes={"sla_pause_when_pending": False})
    case = Case.objects.get(pk=case.pk)
    assert case.first_response_due_at is not None
    with pytest.raises(Invalid):
        sla_settings_update(tenant=tenant, changes={"sla_sweep_minutes": -5})
