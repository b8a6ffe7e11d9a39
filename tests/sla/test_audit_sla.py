"""What SLA records in the audit log: policies, calendars, holidays (one entry for an iCalendar
import), escalation rules and the SLA settings; old and new values, none for a refusal."""

from datetime import date

import pytest

from casedesk.core.errors import Conflict, Invalid
from casedesk.sla.calendars import (
    DEFAULT_WEEK,
    calendar_delete,
    calendar_save,
    holiday_add,
    holiday_delete,
    holidays_import_ical,
)
from casedesk.sla.escalation import escalation_rule_delete, escalation_rule_save
from casedesk.sla.models import SlaPolicy
from casedesk.sla.policies import (
    policies_reorder,
    policy_create,
    policy_delete,
    policy_update,
    sla_settings_update,
)
from casedesk.tenancy.models import AuditEntry, Tenant
from tests.conftest import NOW, Api
from tests.sla.test_admin import ICS


def entries(tenant: Tenant, prefix: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(tenant=tenant, action__startswith=prefix)
                .order_by("id"))


def test_policy_changes_are_recorded_old_and_new(tenant, admin) -> None:
    policy = policy_create(tenant=tenant, now=NOW, actor=admin.user, values={
        "name": "VIP", "first_response_minutes": 30, "resolution_minutes": 240})
    policy_update(policy=policy, now=NOW, actor=admin.user,
                  changes={"first_response_minutes": 15, "warn_at_percent": 50})
    policy_update(policy=policy, now=NOW, changes={"is_enabled": False})
    ids = list(SlaPolicy.objects.filter(tenant=tenant).order_by("position")
               .values_list("pk", flat=True))
    policies_reorder(tenant=tenant, now=NOW, policy_ids=ids[::-1])
    policy_delete(policy=SlaPolicy.objects.get(pk=policy.pk), now=NOW)
    log = entries(tenant, "sla_polic")
    assert [e.action for e in log] == [
        "sla_policy.created", "sla_policy.updated", "sla_policy.disabled",
        "sla_policies.reordered", "sla_policy.deleted"]
    assert log[0].changes["first_response_minutes"] == [None, 30]
    assert log[0].actor_id == admin.user_id
    assert log[1].changes == {"first_response_minutes": [30, 15], "warn_at_percent": [75, 50]}
    assert log[3].changes == {"order": [ids, ids[::-1]]}
    assert log[4].changes["name"] == ["VIP", None]


def test_a_refused_policy_change_records_nothing(tenant) -> None:
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    assert policy is not None
    with pytest.raises(Invalid):
        policy_update(policy=policy, now=NOW, changes={"first_response_minutes": 0})
    with pytest.raises(Invalid):
        policy_create(tenant=tenant, now=NOW, values={"name": ""})
    assert entries(tenant, "sla_polic") == []


def test_calendars_and_holidays_are_recorded(tenant, admin) -> None:
    calendar = calendar_save(tenant=tenant, name="Berlin", time_zone="Europe/Berlin",
                             week=DEFAULT_WEEK, actor=admin.user)
    calendar_save(tenant=tenant, name="Berlin office", time_zone="Europe/Berlin",
                  week=DEFAULT_WEEK, calendar=calendar)
    holiday = holiday_add(calendar=calendar, name="Unity Day", starts_on=date(2026, 10, 3))
    holiday_delete(holiday=holiday, now=NOW)
    holidays_import_ical(calendar=calendar, text=ICS, now=NOW)
    holidays_import_ical(calendar=calendar, text=ICS, now=NOW)  # nothing new: no entry
    calendar_delete(calendar=calendar, now=NOW)
    log = entries(tenant, "")
    assert [e.action for e in log] == [
        "calendar.created", "calendar.updated", "holiday.created", "holiday.deleted",
        "holidays.imported", "calendar.deleted"]
    assert log[0].changes["time_zone"] == [None, "Europe/Berlin"]
    assert log[1].changes == {"name": ["Berlin", "Berlin office"]}
    assert log[2].changes == {"holiday": [None, "Unity Day"],
                              "starts_on": [None, "2026-10-03"],
                              "ends_on": [None, "2026-10-03"]}
    assert log[4].changes["holidays"][1] == [
        "Christmas, and the days after (2026-12-24 – 2026-12-26)", "New Year (2027-01-01)"]


def test_a_refused_calendar_records_nothing(tenant) -> None:
    with pytest.raises(Invalid):
        calendar_save(tenant=tenant, name="Mars", time_zone="Mars/Olympus", week=DEFAULT_WEEK)
    with pytest.raises(Conflict):
        calendar_save(tenant=tenant, name="Business hours", time_zone="UTC", week=DEFAULT_WEEK)
    assert entries(tenant, "calendar") == []


def test_escalation_rules_are_recorded(tenant) -> None:
    rule = escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "Old", "conditions": [{"field": "age_hours", "op": "gt", "value": 48}],
        "actions": {"notify": ["managers"]}})
    escalation_rule_save(tenant=tenant, now=NOW, rule=rule, values={"is_enabled": False})
    escalation_rule_save(tenant=tenant, now=NOW, rule=rule, values={"name": "Older"})
    with pytest.raises(Invalid):
        escalation_rule_save(tenant=tenant, now=NOW, rule=rule, values={"name": ""})
    escalation_rule_delete(rule=rule)
    log = entries(tenant, "escalation_rule")
    assert [e.action for e in log] == [
        "escalation_rule.created", "escalation_rule.disabled", "escalation_rule.updated",
        "escalation_rule.deleted"]
    assert log[0].changes["actions"] == [None, {"notify": ["managers"]}]
    assert log[2].changes == {"name": ["Old", "Older"]}


def test_sla_settings_are_recorded(clock, admin_api: Api, admin, tenant) -> None:
    sla_settings_update(tenant=tenant, changes={"sla_pause_when_pending": False})
    with pytest.raises(Invalid):
        sla_settings_update(tenant=tenant, changes={"sla_sweep_minutes": -1})
    [entry] = entries(tenant, "sla_settings")
    assert entry.changes == {"sla_pause_when_pending": [True, False]}
    assert entry.actor_label == "system"
