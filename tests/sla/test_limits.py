"""SLA policies, calendars, holidays and escalation rules hold what their columns hold: the
API refuses more (422 naming the field), the services refuse it whoever calls them (the SLA
pages, a command), and an imported calendar file keeps as much of a name as fits."""

from datetime import date

import pytest

from casedesk.core.errors import Invalid
from casedesk.core.limits import max_length
from casedesk.sla.calendars import calendar_save, holiday_add, holidays_import_ical
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy
from casedesk.sla.policies import policy_create, policy_update
from tests.api_checks import error
from tests.conftest import NOW
from tests.sla.test_api import CALENDARS, POLICIES, RULES, business_hours, policy_body, rule_body


def too_long(model: type, field: str) -> str:
    return "n" * (max_length(model, field) + 1)


@pytest.mark.parametrize(("path", "body", "model"), [
    (POLICIES, policy_body(), SlaPolicy),
    (CALENDARS, {}, BusinessCalendar),
    (RULES, rule_body(), EscalationRule),
])
def test_a_name_past_its_column_is_refused(admin_api, path, body, model) -> None:
    before = model.objects.count()
    error(admin_api.post(path, {**body, "name": too_long(model, "name")}), 422, field="name")
    assert model.objects.count() == before
    longest = "n" * max_length(model, "name")
    assert admin_api.post(path, {**body, "name": longest}).status_code == 201


def test_names_past_their_column_are_refused_on_change(admin_api, tenant) -> None:
    calendar = business_hours(tenant)
    error(admin_api.patch(f"{CALENDARS}/{calendar.pk}",
                          {"name": too_long(BusinessCalendar, "name")}), 422, field="name")
    error(admin_api.patch(f"{CALENDARS}/{calendar.pk}",
                          {"time_zone": "Europe/" + "x" * 64}), 422, field="time_zone")
    error(admin_api.post(f"{CALENDARS}/{calendar.pk}/holidays",
                         {"name": too_long(Holiday, "name"), "starts_on": "2026-12-24"}), 422,
          field="name")
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    error(admin_api.patch(f"{POLICIES}/{policy.pk}", {"name": too_long(SlaPolicy, "name")}),
          422, field="name")


def test_the_services_refuse_names_past_their_column(tenant) -> None:
    calendar = business_hours(tenant)
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    refusals = [
        lambda: policy_create(tenant=tenant, now=NOW, values={
            **policy_body(), "name": too_long(SlaPolicy, "name")}),
        lambda: policy_update(policy=policy, now=NOW,
                              changes={"name": too_long(SlaPolicy, "name")}),
        lambda: calendar_save(tenant=tenant, name=too_long(BusinessCalendar, "name"),
                              time_zone="UTC", week={}),
        lambda: holiday_add(calendar=calendar, name=too_long(Holiday, "name"),
                            starts_on=date(2026, 12, 24)),
        lambda: escalation_rule_save(tenant=tenant, now=NOW, values={
            **rule_body(), "name": too_long(EscalationRule, "name")}),
    ]
    for refused in refusals:
        with pytest.raises(Invalid) as caught:
            refused()
        assert caught.value.field == "name" and "at most" in caught.value.detail
    with pytest.raises(Invalid) as caught:
        calendar_save(tenant=tenant, name="Night", time_zone="x" * 65, week={})
    assert caught.value.field == "time_zone"
    policy.refresh_from_db()
    assert not Holiday.objects.exists() and policy.name != too_long(SlaPolicy, "name")


def test_a_calendar_file_keeps_as_much_of_a_long_summary_as_fits(tenant) -> None:
    summary = "Company day " + "x" * 300
    ics = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\n"
           f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    [holiday] = holidays_import_ical(calendar=business_hours(tenant), text=ics, now=NOW)
    assert holiday.name == summary[:max_length(Holiday, "name")]
