"""SLA through the API: policies in order, calendars and holidays (with the iCalendar import),
escalation rules, the breach sweep, the clocks on a case and the list's SLA filters, and the
tenant's SLA settings. Who may do what, and what bad input is told."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, EventKind, TimelineEvent
from casedesk.notifications.models import Notification, NotificationKind
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy
from casedesk.tenancy.models import Tenant
from tests.api_checks import conforms, error, numbers, walk_pages
from tests.conftest import NOW, Api, Foreign
from tests.factories import make_case

H = timedelta(hours=1)
POLICIES = "/sla/policies"
CALENDARS = "/sla/calendars"
RULES = "/sla/escalation-rules"
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
       "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\n"
       "SUMMARY:Christmas\\, and the days\r\n  after\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n"
       "END:VCALENDAR\r\n")


def policy_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Billing fast",
        "conditions": [{"field": "category", "op": "equals", "value": "Billing"}],
        "first_response_minutes": 30, "first_response_business": False,
        "resolution_minutes": 240, "resolution_business": False,
    }
    body.update(fields)
    return body


def rule_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Urgent and idle",
        "conditions": [{"field": "priority", "op": "equals", "value": "urgent"},
                       {"field": "idle_hours", "op": "gt", "value": 2}],
        "actions": {"notify": ["owner_manager"], "raise_priority": True},
    }
    body.update(fields)
    return body


def business_hours(tenant: Tenant) -> BusinessCalendar:
    return BusinessCalendar.objects.get(tenant=tenant, name="Business hours")


def post_ics(api: Api, calendar_id: int, text: str | bytes,
             content_type: str = "text/calendar") -> Any:
    return api.client.post(f"/api/v1{CALENDARS}/{calendar_id}/holidays/import", data=text,
                           content_type=content_type)


def clocks(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["target"]: c for c in case["sla"]["clocks"]}


# --- policies ---------------------------------------------------------------------------------


def test_an_admin_creates_a_policy_and_managers_read_it(admin_api, manager_api, tenant
                                                        ) -> None:
    calendar = business_hours(tenant)
    response = admin_api.post(POLICIES, policy_body(
        name="  VIP  ", calendar_id=calendar.pk, first_response_business=True,
        next_response_minutes=120, warn_at_percent=50,
        conditions=[{"field": "account.tier", "op": "in", "value": ["Gold", "Enterprise"]},
                    {"field": "priority", "op": "equals", "value": "high"}]))
    assert response.status_code == 201, response.content
    body = conforms(response, "POST", POLICIES)
    assert body["name"] == "VIP"
    assert body["position"] == 4  # after the four a tenant starts with
    assert body["calendar"] == {"id": calendar.pk, "name": "Business hours"}
    assert (body["first_response_minutes"], body["first_response_business"]) == (30, True)
    assert (body["next_response_minutes"], body["next_response_business"]) == (120, True)
    assert (body["resolution_minutes"], body["resolution_business"]) == (240, False)
    assert (body["warn_at_percent"], body["is_enabled"]) == (50, True)
    assert body["conditions"] == [
        {"field": "account.tier", "op": "in", "value": ["Gold", "Enterprise"]},
        {"field": "priority", "op": "equals", "value": "high"}]
    assert SlaPolicy.objects.get(pk=body["id"]).tenant_id == tenant.pk
    assert conforms(manager_api.get(f"{POLICIES}/{body['id']}"), "GET",
                    "/sla/policies/{policy_id}") == body
    listed = conforms(manager_api.get(POLICIES), "GET", POLICIES)
    assert [p["name"] for p in listed] == ["Urgent priority", "High priority",
                                           "Normal priority", "Low priority", "VIP"]
    assert listed[0]["conditions"] == [{"field": "priority", "op": "equals", "value": "urgent"}]
    assert listed[-1] == body


def test_policies_are_put_in_order_and_moved(admin_api, tenant) -> None:
    ids = [p["id"] for p in admin_api.get(POLICIES).json()]
    response = admin_api.post(f"{POLICIES}/order", {"policy_ids": ids[::-1]})
    body = conforms(response, "POST", f"{POLICIES}/order")
    assert [(p["id"], p["position"]) for p in body] == list(zip(ids[::-1], range(4),
                                                                strict=True))
    response = admin_api.patch(f"{POLICIES}/{ids[1]}", {"position": 0})
    assert conforms(response, "PATCH", "/sla/policies/{policy_id}")["position"] == 0
    assert [p["id"] for p in admin_api.get(POLICIES).json()] == [ids[1], ids[3], ids[2],
                                                                 ids[0]]
    error(admin_api.post(f"{POLICIES}/order", {"policy_ids": ids[:3]}), 422,
          field="policy_ids", mentions=("every policy",))
    error(admin_api.post(f"{POLICIES}/order", {"policy_ids": [*ids, ids[0]]}), 422,
          field="policy_ids")


def test_a_policy_changes_and_the_open_cases_clocks_follow(
        admin_api, tenant, clock, django_capture_on_commit_callbacks) -> None:
    case = make_case(tenant, now=NOW, category="Billing")
    assert case.first_response_due_at == NOW + 8 * H  # Normal: 8 business hours, Mon 09:00
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch(f"{POLICIES}/{normal.pk}", {
            "first_response_minutes": 90, "first_response_business": False,
            "calendar_id": None, "next_response_minutes": None, "name": "Normal, faster"})
    body = conforms(response, "PATCH", "/sla/policies/{policy_id}")
    assert (body["name"], body["first_response_minutes"], body["calendar"]) == (
        "Normal, faster", 90, None)
    case.refresh_from_db()
    assert case.first_response_due_at == NOW + 90 * timedelta(minutes=1)
    read = admin_api.get(f"/cases/CS-{case.number}").json()
    assert read["sla"]["policy"] == "Normal, faster"
    assert clocks(read)["first_response"]["due_at"] == read["sla"]["first_response_due_at"]


@pytest.mark.parametrize("name", ["name", "conditions", "first_response_minutes",
                                  "first_response_business", "resolution_minutes",
                                  "warn_at_percent", "is_enabled", "position"])
def test_a_policy_field_cannot_be_nulled(admin_api, tenant, name) -> None:
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    error(admin_api.patch(f"{POLICIES}/{policy.pk}", {name: None}), 422, field=name)


def test_deleting_a_policy_closes_the_gap_and_its_cases_take_the_next(
        admin_api, tenant, django_capture_on_commit_callbacks) -> None:
    vip = SlaPolicy.objects.get(pk=admin_api.post(POLICIES, policy_body(
        conditions=[{"field": "priority", "op": "equals", "value": "normal"}])).json()["id"])
    admin_api.patch(f"{POLICIES}/{vip.pk}", {"position": 0})
    case = make_case(tenant, now=NOW)
    assert case.sla_policy_id == vip.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.delete(f"{POLICIES}/{vip.pk}")
    assert response.status_code == 204
    assert not SlaPolicy.objects.filter(pk=vip.pk).exists()
    assert [p["position"] for p in admin_api.get(POLICIES).json()] == [0, 1, 2, 3]
    case.refresh_from_db()
    assert case.sla_policy.name == "Normal priority"
    error(admin_api.get(f"{POLICIES}/{vip.pk}"), 404)
    error(admin_api.delete(f"{POLICIES}/{vip.pk}"), 404)


@pytest.mark.parametrize(("fields", "field"), [
    ({"first_response_minutes": 0}, "first_response_minutes"),
    ({"first_response_minutes": 10**9}, "first_response_minutes"),
    ({"resolution_minutes": "4h"}, "resolution_minutes"),
    ({"next_response_minutes": -5}, "next_response_minutes"),
    ({"warn_at_percent": 150}, "warn_at_percent"),
    ({"calendar_id": 999_999}, "calendar_id"),
    ({"conditions": [{"field": "nope", "op": "equals", "value": 1}]}, "conditions"),
    ({"conditions": [{"field": "priority", "op": "equals", "value": "p1"}]}, "conditions"),
    ({"name": "   "}, "name"),
    ({"name": "bad\x00name"}, "name"),
])
def test_bad_policies_are_refused_naming_the_field(admin_api, tenant, fields, field) -> None:
    before = list(SlaPolicy.objects.filter(tenant=tenant).values())
    error(admin_api.post(POLICIES, policy_body(**fields)), 422, field=field)
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    error(admin_api.patch(f"{POLICIES}/{policy.pk}", fields), 422, field=field)
    assert list(SlaPolicy.objects.filter(tenant=tenant).values()) == before


# --- calendars and holidays -------------------------------------------------------------------


def test_an_admin_creates_a_calendar_with_split_and_overnight_shifts(admin_api, manager_api,
                                                                      tenant) -> None:
    week = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "fri": [["22:00", "06:00"]],
            "sat": [["10:00", "24:00"]]}
    response = admin_api.post(CALENDARS, {"name": "Night desk", "time_zone": "Asia/Kolkata",
                                          "week": week})
    assert response.status_code == 201, response.content
    body = conforms(response, "POST", CALENDARS)
    assert (body["name"], body["time_zone"], body["policies"]) == (
        "Night desk", "Asia/Kolkata", [])
    assert body["week"] == {"mon": week["mon"], "tue": [], "wed": [], "thu": [],
                            "fri": week["fri"], "sat": week["sat"], "sun": []}
    assert conforms(manager_api.get(f"{CALENDARS}/{body['id']}"), "GET",
                    "/sla/calendars/{calendar_id}") == body
    listed = conforms(manager_api.get(CALENDARS), "GET", CALENDARS)
    assert [c["name"] for c in listed] == ["Business hours", "Night desk"]
    assert [p["name"] for p in listed[0]["policies"]] == [
        "Urgent priority", "High priority", "Normal priority", "Low priority"]
    # Without a time zone, a calendar keeps the tenant's.
    Tenant.objects.filter(pk=tenant.pk).update(time_zone="Europe/London")
    made = admin_api.post(CALENDARS, {"name": "Weekends", "week": {"sun": [["10:00",
                                                                          "16:00"]]}})
    assert made.json()["time_zone"] == "Europe/London"


def test_changing_a_calendar_moves_the_due_times(admin_api, tenant,
                                                 django_capture_on_commit_callbacks) -> None:
    case = make_case(tenant, now=NOW)
    assert case.first_response_due_at == NOW + 8 * H
    calendar = business_hours(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch(f"{CALENDARS}/{calendar.pk}", {
            "week": {day: [["09:00", "13:00"]] for day in ("mon", "tue", "wed", "thu",
                                                          "fri")}})
    body = conforms(response, "PATCH", "/sla/calendars/{calendar_id}")
    assert body["name"] == "Business hours" and body["week"]["mon"] == [["09:00", "13:00"]]
    case.refresh_from_db()
    assert case.first_response_due_at == NOW + 28 * H  # 4 h on Monday, 4 on Tuesday


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"week": "9-5"}, "week", ()),
    ({"week": {"mon": [["9", "5"]]}}, "week", ("HH:MM",)),
    ({"week": {"mon": [["09:00", "09:00"]]}}, "week", ("not a shift",)),
    ({"week": {"mon": [["24:00", "06:00"]]}}, "week", ()),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", ("unknown time zone",)),
    ({"time_zone": "zone.tab"}, "time_zone", ("unknown time zone",)),
    ({"time_zone": "../../etc/passwd"}, "time_zone", ()),
    ({"time_zone": "x" * 65}, "time_zone", ()),
    ({"name": ""}, "name", ()),
])
def test_bad_calendars_are_refused_naming_the_field(admin_api, tenant, fields, field,
                                                    words) -> None:
    body = {"name": "Bad", "time_zone": "UTC", "week": {}, **fields}
    error(admin_api.post(CALENDARS, body), 422, field=field, mentions=words)
    error(admin_api.patch(f"{CALENDARS}/{business_hours(tenant).pk}", fields), 422,
          field=field, mentions=words)
    assert list(BusinessCalendar.objects.filter(tenant=tenant).values_list(
        "name", "time_zone")) == [("Business hours", "UTC")]


def test_a_weekday_that_is_no_day_is_refused(admin_api) -> None:
    body = error(admin_api.post(CALENDARS, {"name": "x", "week": {"funday": []}}), 422)
    assert body["field"].startswith("week")


def test_calendar_names_are_unique_in_a_tenant(admin_api, tenant) -> None:
    error(admin_api.post(CALENDARS, {"name": "Business hours"}), 409, mentions=("already",))
    other = admin_api.post(CALENDARS, {"name": "Other"}).json()
    error(admin_api.patch(f"{CALENDARS}/{other['id']}", {"name": " Business hours "}), 409)
    renamed = admin_api.patch(f"{CALENDARS}/{other['id']}", {"name": "Other"})
    assert renamed.status_code == 200  # its own name is not taken


def test_deleting_a_calendar_leaves_its_policies_round_the_clock(admin_api, tenant) -> None:
    calendar = business_hours(tenant)
    response = admin_api.delete(f"{CALENDARS}/{calendar.pk}")
    assert response.status_code == 204
    assert not BusinessCalendar.objects.filter(pk=calendar.pk).exists()
    assert {p["calendar"] for p in admin_api.get(POLICIES).json()} == {None}
    error(admin_api.get(f"{CALENDARS}/{calendar.pk}"), 404)


def test_holidays_are_added_listed_and_deleted(admin_api, manager_api, tenant,
                                               django_capture_on_commit_callbacks) -> None:
    calendar = business_hours(tenant)
    path = f"{CALENDARS}/{calendar.pk}/holidays"
    case = make_case(tenant, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(path, {"name": " Founders' day ", "starts_on": "2026-11-23"})
    body = conforms(response, "POST", "/sla/calendars/{calendar_id}/holidays")
    assert response.status_code == 201
    assert body == {"id": body["id"], "name": "Founders' day", "starts_on": "2026-11-23",
                    "ends_on": "2026-11-23"}
    case.refresh_from_db()  # Monday is off: 8 business hours on Tuesday
    assert case.first_response_due_at == NOW + 32 * H
    week = admin_api.post(path, {"name": "Winter break", "starts_on": "2026-12-28",
                                 "ends_on": "2027-01-03"}).json()
    listed = conforms(manager_api.get(path), "GET", "/sla/calendars/{calendar_id}/holidays")
    assert [(h["name"], h["starts_on"], h["ends_on"]) for h in listed] == [
        ("Founders' day", "2026-11-23", "2026-11-23"),
        ("Winter break", "2026-12-28", "2027-01-03")]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.delete(f"{path}/{body['id']}")
    assert response.status_code == 204
    case.refresh_from_db()
    assert case.first_response_due_at == NOW + 8 * H
    assert [h["id"] for h in admin_api.get(path).json()] == [week["id"]]
    error(admin_api.delete(f"{path}/{body['id']}"), 404)


@pytest.mark.parametrize(("fields", "field"), [
    ({"starts_on": "2026-12-24", "ends_on": "2026-12-23"}, "ends_on"),
    ({"starts_on": "2026-01-01", "ends_on": "2027-06-01"}, "ends_on"),
    ({"starts_on": "24.12.2026"}, "starts_on"),
    ({"starts_on": "2026-02-30"}, "starts_on"),
    ({"name": "x" * 201, "starts_on": "2026-12-24"}, "name"),
])
def test_bad_holidays_are_refused(admin_api, tenant, fields, field) -> None:
    path = f"{CALENDARS}/{business_hours(tenant).pk}/holidays"
    error(admin_api.post(path, fields), 422, field=field)
    assert not Holiday.objects.exists()


def test_a_holiday_at_the_end_of_the_calendar_breaks_nothing(admin_api, tenant) -> None:
    path = f"{CALENDARS}/{business_hours(tenant).pk}/holidays"
    assert admin_api.post(path, {"starts_on": "9999-12-31"}).status_code == 201
    assert admin_api.post("/cases", {"subject": "Still works"}).status_code == 201


def test_holidays_are_imported_from_an_icalendar_file(admin_api, tenant) -> None:
    calendar = business_hours(tenant)
    response = post_ics(admin_api, calendar.pk, ICS)
    template = "/sla/calendars/{calendar_id}/holidays/import"
    body = conforms(response, "POST", template)
    assert [(h["name"], h["starts_on"], h["ends_on"]) for h in body] == [
        ("Christmas, and the days after", "2026-12-24", "2026-12-26"),
        ("New Year", "2027-01-01", "2027-01-01")]
    # The same file again, now as JSON: nothing new.
    again = admin_api.post(f"{CALENDARS}/{calendar.pk}/holidays/import", {"ics": ICS})
    assert conforms(again, "POST", template) == []
    assert Holiday.objects.filter(calendar=calendar).count() == 2


@pytest.mark.parametrize(("body", "content_type", "words"), [
    ("hello", "text/calendar", ("not an iCalendar file",)),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-12\nEND:VEVENT\nEND:VCALENDAR",
     "text/calendar", ("not a date",)),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR", "text/calendar",
     ("without DTSTART",)),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261224\nSUMMARY:a\x00b\nEND:VEVENT\n"
     "END:VCALENDAR", "text/calendar", ("NUL",)),
    (b"BEGIN:VCALENDAR\n\xff\xfe", "text/calendar", ("UTF-8",)),
    ('{"file": "BEGIN:VCALENDAR"}', "application/json", ("ics",)),
    ('{"ics": 12}', "application/json", ("ics",)),
    ("{}", "application/json", ("ics",)),  # was a 500 (KeyError)
    ("[" * 100_000, "application/json", ("ics",)),
    ('{"ics": "\\ud800"}', "application/json", ("ics",)),
])
def test_what_is_not_icalendar_is_refused(admin_api, tenant, body, content_type, words
                                          ) -> None:
    response = post_ics(admin_api, business_hours(tenant).pk, body, content_type)
    error(response, 422, field="file", mentions=words)
    conforms(response, "POST", "/sla/calendars/{calendar_id}/holidays/import")
    assert not Holiday.objects.exists()


def test_an_icalendar_event_on_the_first_day_of_the_calendar_is_taken(admin_api, tenant
                                                                     ) -> None:
    text = ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00010101\n"
            "DTEND;VALUE=DATE:00010101\nSUMMARY:Day one\nEND:VEVENT\nEND:VCALENDAR\n")
    response = post_ics(admin_api, business_hours(tenant).pk, text)
    assert response.status_code == 200, response.content
    assert [(h["starts_on"], h["ends_on"]) for h in response.json()] == [
        ("0001-01-01", "0001-01-01")]


def test_an_icalendar_file_over_a_megabyte_is_refused(admin_api, tenant) -> None:
    text = ICS.replace("END:VCALENDAR", "X-PAD:" + "x" * (1024 * 1024) + "\r\nEND:VCALENDAR")
    response = post_ics(admin_api, business_hours(tenant).pk, text)
    error(response, 413, mentions=("1 MB",))
    conforms(response, "POST", "/sla/calendars/{calendar_id}/holidays/import")
    assert not Holiday.objects.exists()


# --- escalation rules -------------------------------------------------------------------------


def test_an_admin_manages_escalation_rules(admin_api, manager_api, tenant, agent, engineering
                                           ) -> None:
    response = admin_api.post(RULES, rule_body(actions={
        "notify": ["owner", f"user:{agent.user_id}", "owner"], "queue_id": engineering.pk}))
    assert response.status_code == 201, response.content
    body = conforms(response, "POST", RULES)
    assert body["conditions"] == [{"field": "priority", "op": "equals", "value": "urgent"},
                                  {"field": "idle_hours", "op": "gt", "value": 2.0}]
    assert body["actions"] == {"notify": ["owner", f"user:{agent.user_id}"],
                               "queue_id": engineering.pk, "raise_priority": False}
    assert (body["position"], body["is_enabled"]) == (0, True)
    template = "/sla/escalation-rules/{escalation_rule_id}"
    assert conforms(manager_api.get(f"{RULES}/{body['id']}"), "GET", template) == body
    assert conforms(manager_api.get(RULES), "GET", RULES) == [body]
    # A rule with a priority condition can be renamed alone (its stored rung parses again).
    response = admin_api.patch(f"{RULES}/{body['id']}", {"name": "Renamed", "is_enabled": False})
    changed = conforms(response, "PATCH", template)
    assert (changed["name"], changed["is_enabled"]) == ("Renamed", False)
    assert changed["conditions"] == body["conditions"]
    response = admin_api.patch(f"{RULES}/{body['id']}", {"actions": {"raise_priority": True}})
    assert conforms(response, "PATCH", template)["actions"] == {
        "notify": [], "queue_id": None, "raise_priority": True}
    assert admin_api.delete(f"{RULES}/{body['id']}").status_code == 204
    assert not EscalationRule.objects.filter(tenant=tenant).exists()
    error(admin_api.get(f"{RULES}/{body['id']}"), 404)


@pytest.mark.parametrize(("fields", "field"), [
    ({"conditions": []}, "conditions"),
    ({"conditions": [{"field": "mood", "op": "equals", "value": "bad"}]}, "conditions"),
    ({"conditions": [{"field": "age_hours", "op": "gt", "value": -1}]}, "conditions"),
    ({"conditions": [{"field": "priority", "op": "equals", "value": "p1"}]}, "conditions"),
    ({"conditions": [{"field": "status", "op": "equals", "value": "closed"}]}, "conditions"),
    ({"actions": {}}, "actions"),
    ({"actions": {"notify": ["everyone"]}}, "actions"),
    ({"actions": {"queue_id": 999_999}}, "actions"),
    ({"actions": {"notify": ["user:999999"]}}, "actions"),
    ({"actions": {"notify": ["user:12x"]}}, "actions.notify.0"),
    ({"actions": {"notify": ["user:" + "9" * 25]}}, "actions.notify.0"),
    ({"actions": {"mail": True}}, "actions.mail"),
    ({"name": ""}, "name"),
])
def test_bad_escalation_rules_are_refused_naming_the_field(admin_api, tenant, fields, field
                                                           ) -> None:
    error(admin_api.post(RULES, rule_body(**fields)), 422, field=field)
    assert not EscalationRule.objects.exists()
    rule = admin_api.post(RULES, rule_body()).json()
    error(admin_api.patch(f"{RULES}/{rule['id']}", fields), 422, field=field)
    assert admin_api.get(f"{RULES}/{rule['id']}").json() == rule


def test_an_escalation_rule_made_through_the_api_fires_in_the_sweep(
        admin_api, tenant, agent, manager, clock) -> None:
    admin_api.post(RULES, rule_body(conditions=[
        {"field": "priority", "op": "in", "value": ["high", "urgent"]},
        {"field": "age_hours", "op": "gte", "value": 0.5}]))
    case = admin_api.post("/cases", {"subject": "Down", "priority": "high",
                                     "owner_id": agent.user_id}).json()
    clock.advance(hours=1)
    report = conforms(admin_api.post("/sla/sweep"), "POST", "/sla/sweep")
    assert report["escalated"] == {"Urgent and idle": 1}
    assert admin_api.get(f"/cases/{case['number']}").json()["priority"] == "urgent"
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION,
                                       recipient_id=manager.user_id).count() == 1
    assert admin_api.post("/sla/sweep").json()["escalated"] == {}


# --- the sweep, the clocks on a case and the list's filters -----------------------------------


def test_a_breach_end_to_end(admin_api, agent_api, tenant, agent, manager, clock) -> None:
    case = admin_api.post("/cases", {"subject": "Invoice wrong", "owner_id": agent.user_id}
                          ).json()
    calm = admin_api.post("/cases", {"subject": "Question", "priority": "low"}).json()
    assert case["sla"]["policy"] == "Normal priority"
    first = clocks(case)["first_response"]
    assert (first["state"], first["remaining_seconds"]) == ("running", 8 * 3600)
    assert first["due_at"] == case["sla"]["first_response_due_at"] == "2026-11-23T17:00:00Z"
    assert clocks(case)["resolution"]["state"] == "running"
    clock.advance(hours=8, minutes=1)
    overdue = agent_api.get(f"/cases/{case['number']}").json()
    assert clocks(overdue)["first_response"]["state"] == "breached"  # before any sweep
    assert clocks(overdue)["first_response"]["remaining_seconds"] == -60

    response = admin_api.post("/sla/sweep")
    report = conforms(response, "POST", "/sla/sweep")
    assert report["case_numbers"] == [case["number"]]
    assert (report["cases"], report["breached_first_response"], report["breached_resolution"],
            report["elevated"]) == (1, 1, 0, 1)
    assert report["notified"] >= 2 and report["summary"].startswith("1 case(s) breached")
    breached = agent_api.get(f"/cases/{case['number']}").json()
    assert breached["priority"] == "high"  # one rung up from normal
    first = clocks(breached)["first_response"]
    assert first["state"] == "breached" and first["breached_at"] == "2026-11-23T17:01:00Z"
    assert breached["sla"]["first_response_breached_at"] == first["breached_at"]
    assert clocks(breached)["resolution"]["state"] == "running"
    listed = conforms(agent_api.get("/cases", sla="breached"), "GET", "/cases")
    assert numbers(listed["items"]) == [case["number"]]
    assert calm["number"] not in numbers(agent_api.get("/cases", sla="breached").json()["items"])
    assert TimelineEvent.objects.filter(case__number=int(case["number"][3:]),
                                        kind=EventKind.SLA_BREACHED).count() == 1
    assert set(Notification.objects.filter(kind=NotificationKind.SLA_BREACH)
               .values_list("recipient_id", flat=True)) == {agent.user_id, manager.user_id}

    again = conforms(admin_api.post("/sla/sweep"), "POST", "/sla/sweep")
    assert (again["cases"], again["case_numbers"], again["elevated"]) == (0, [], 0)
    assert agent_api.get(f"/cases/{case['number']}").json()["priority"] == "high"


def test_breaching_within_hours_lists_what_comes_due_soon(admin_api, tenant, clock) -> None:
    soon = admin_api.post("/cases", {"subject": "Down", "priority": "urgent"}).json()  # 1 h
    later = admin_api.post("/cases", {"subject": "Idea", "priority": "low"}).json()  # 24 bh
    done = admin_api.post("/cases", {"subject": "Gone", "priority": "urgent"}).json()
    for to in ("open", "in_progress", "resolved"):
        admin_api.post(f"/cases/{done['number']}/transitions", {"to": to, "note": "Fixed"})
    response = admin_api.get("/cases", breaching_within_hours=2)
    assert numbers(conforms(response, "GET", "/cases")["items"]) == [soon["number"]]
    assert numbers(admin_api.get("/cases", breaching_within_hours=720).json()["items"]) == [
        later["number"], soon["number"]]
    clock.advance(hours=3)  # overdue, not yet swept: still listed as breaching
    assert soon["number"] in numbers(admin_api.get("/cases", breaching_within_hours=1
                                                   ).json()["items"])
    assert numbers(admin_api.get("/cases", breaching_within_hours=1, priority="low"
                                 ).json()["items"]) == []


def test_sla_filters_compose_with_other_filters_and_pagination(admin_api, tenant,
                                                               seeded_support_queue, finance,
                                                               clock) -> None:
    due_soon = [admin_api.post("/cases", {"subject": f"Outage {i}", "priority": "urgent",
                                          "queue_id": seeded_support_queue.pk}).json()["number"]
                for i in range(5)]
    admin_api.post("/cases", {"subject": "Outage elsewhere", "priority": "urgent",
                              "queue_id": finance.pk})
    admin_api.post("/cases", {"subject": "Slow", "priority": "low",
                              "queue_id": seeded_support_queue.pk})
    pages = walk_pages(admin_api, "/cases", breaching_within_hours=2, queue=seeded_support_queue.pk,
                       limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [n for page in pages for n in numbers(page)] == due_soon[::-1]
    clock.advance(hours=2)
    admin_api.post("/sla/sweep")
    pages = walk_pages(admin_api, "/cases", sla="breached", queue=seeded_support_queue.pk, limit=3,
                       q="Outage")
    assert [n for page in pages for n in numbers(page)] == due_soon[::-1]
    assert admin_api.get("/cases", sla="breached", status="resolved").json()["items"] == []


@pytest.mark.parametrize(("params", "field"), [
    ({"breaching_within_hours": 0}, "breaching_within_hours"),
    ({"breaching_within_hours": 721}, "breaching_within_hours"),
    ({"breaching_within_hours": "soon"}, "breaching_within_hours"),
    ({"sla": "late"}, "sla"),
])
def test_bad_sla_filters_are_refused(admin_api, params, field) -> None:
    error(admin_api.get("/cases", **params), 422, field=field)


def test_case_pages_read_the_sla_with_no_query_per_case(admin_api, tenant, agent) -> None:
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_api.get("/cases", limit=50)
        assert response.status_code == 200
        assert all(item["sla"]["policy"] for item in response.json()["items"])
        return len(captured.captured_queries)

    make_case(tenant, owner_id=agent.user_id)
    page_queries()  # the token's first use is recorded once
    few = page_queries()
    for priority in (1, 2, 3, 4) * 3:
        make_case(tenant, priority=priority, owner_id=agent.user_id)
    assert page_queries() == few
    with CaptureQueriesContext(connection) as captured:
        admin_api.get(f"/cases/CS-{Case.objects.filter(tenant=tenant).last().number}")
    assert not any("sla_slapolicy" in q["sql"] and "cases_case" not in q["sql"]
                   for q in captured.captured_queries)


def test_a_case_without_a_policy_has_clocks_saying_so(admin_api, tenant) -> None:
    for policy in admin_api.get(POLICIES).json():
        assert admin_api.patch(f"{POLICIES}/{policy['id']}", {"is_enabled": False}
                               ).status_code == 200
    body = admin_api.post("/cases", {"subject": "Unruled"}).json()
    assert body["sla"]["policy"] is None
    assert [(c["target"], c["state"], c["due_at"]) for c in body["sla"]["clocks"]] == [
        ("first_response", "none", None), ("resolution", "none", None)]


def test_a_waiting_case_shows_paused_clocks(admin_api, tenant) -> None:
    case = admin_api.post("/cases", {"subject": "Need logs"}).json()
    for to in ("open", "in_progress", "pending_customer"):
        response = admin_api.post(f"/cases/{case['number']}/transitions", {"to": to})
    assert {c["state"] for c in response.json()["sla"]["clocks"]} == {"paused"}


# --- tenant settings --------------------------------------------------------------------------


def test_the_sla_settings_are_read_and_changed(admin_api, tenant,
                                               django_capture_on_commit_callbacks) -> None:
    case = make_case(tenant, now=NOW)
    for to in ("open", "in_progress", "pending_customer"):
        admin_api.post(f"/cases/CS-{case.number}/transitions", {"to": to})
    assert Case.objects.get(pk=case.pk).first_response_due_at is None  # paused
    body = conforms(admin_api.get("/tenant/settings"), "GET", "/tenant/settings")
    assert (body["sla_pause_when_pending"], body["sla_sweep_minutes"]) == (True, 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch("/tenant/settings", {"sla_pause_when_pending": False,
                                                        "sla_sweep_minutes": 15,
                                                        "reopen_limit": 2})
    body = conforms(response, "PATCH", "/tenant/settings")
    assert (body["sla_pause_when_pending"], body["sla_sweep_minutes"], body["reopen_limit"]
            ) == (False, 15, 2)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.sla_pause_when_pending, stored.sla_sweep_minutes) == (False, 15)
    assert Case.objects.get(pk=case.pk).first_response_due_at is not None  # running again


@pytest.mark.parametrize(("payload", "field"), [
    ({"sla_sweep_minutes": -1}, "sla_sweep_minutes"),
    ({"sla_sweep_minutes": 1441}, "sla_sweep_minutes"),
    ({"sla_sweep_minutes": "often"}, "sla_sweep_minutes"),
    ({"sla_sweep_minutes": None}, "sla_sweep_minutes"),
    ({"sla_pause_when_pending": "perhaps"}, "sla_pause_when_pending"),
    ({"reopen_limit": 4, "sla_sweep_minutes": 10**6}, "sla_sweep_minutes"),
])
def test_bad_sla_settings_are_refused_and_change_nothing(admin_api, tenant, payload, field
                                                         ) -> None:
    error(admin_api.patch("/tenant/settings", payload), 422, field=field)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.sla_sweep_minutes, stored.sla_pause_when_pending, stored.reopen_limit) == (
        0, True, 1)


# --- who may do what --------------------------------------------------------------------------

Path = Callable[[Tenant], str]


def _policy(t: Tenant) -> str:
    return f"{POLICIES}/{SlaPolicy.objects.filter(tenant=t).first().pk}"


def _calendar(t: Tenant) -> str:
    return f"{CALENDARS}/{business_hours(t).pk}"


def _holiday(t: Tenant) -> str:
    calendar = business_hours(t)
    holiday = Holiday.objects.create(tenant=t, calendar=calendar, name="Day",
                                     starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 24))
    return f"{CALENDARS}/{calendar.pk}/holidays/{holiday.pk}"


def _rule(t: Tenant) -> str:
    rule = EscalationRule.objects.create(
        tenant=t, name="Old", conditions=[{"field": "age_hours", "op": "gt", "value": 48}],
        actions={"notify": ["managers"]}, created_at=NOW, updated_at=NOW)
    return f"{RULES}/{rule.pk}"


READS: list[tuple[str, Path]] = [
    (POLICIES, lambda t: POLICIES), (POLICIES, _policy),
    (CALENDARS, lambda t: CALENDARS), (CALENDARS, _calendar),
    ("holidays", lambda t: f"{_calendar(t)}/holidays"),
    (RULES, lambda t: RULES), (RULES, _rule),
]
WRITES: list[tuple[str, Path, Any]] = [
    ("POST", lambda t: POLICIES, policy_body()),
    ("POST", lambda t: f"{POLICIES}/order", {"policy_ids": []}),
    ("PATCH", _policy, {"name": "Mine now"}),
    ("DELETE", _policy, None),
    ("POST", lambda t: CALENDARS, {"name": "Mine"}),
    ("PATCH", _calendar, {"name": "Mine now"}),
    ("DELETE", _calendar, None),
    ("POST", lambda t: f"{_calendar(t)}/holidays", {"starts_on": "2026-12-31"}),
    ("POST", lambda t: f"{_calendar(t)}/holidays/import", {"ics": ICS}),
    ("DELETE", _holiday, None),
    ("POST", lambda t: RULES, rule_body()),
    ("PATCH", _rule, {"name": "Mine now"}),
    ("DELETE", _rule, None),
    ("POST", lambda t: "/sla/sweep", {}),
]


def _send(api: Api, method: str, path: str, body: Any) -> Any:
    if method in ("GET", "DELETE"):
        return getattr(api, method.lower())(path)
    return getattr(api, method.lower())(path, body)


def _sla_state(tenant: Tenant) -> dict[str, Any]:
    return {
        "policies": list(SlaPolicy.objects.filter(tenant=tenant).values()),
        "calendars": list(BusinessCalendar.objects.filter(tenant=tenant).values()),
        "holidays": list(Holiday.objects.filter(tenant=tenant).values()),
        "rules": list(EscalationRule.objects.filter(tenant=tenant).values()),
        "cases": list(Case.objects.filter(tenant=tenant).values("priority",
                                                                "first_response_breached_at")),
    }


@pytest.mark.parametrize(("method", "path", "body"), WRITES,
                         ids=[f"{m} {i}" for i, (m, _, _) in enumerate(WRITES)])
def test_agents_and_managers_may_not_change_sla_configuration(
        agent_api, manager_api, tenant, method, path, body, clock) -> None:
    make_case(tenant, now=NOW)
    clock.advance(days=30)  # a sweep would have work to do
    url = path(tenant)
    before = _sla_state(tenant)
    for api in (agent_api, manager_api):
        error(_send(api, method, url, body), 403, mentions=("admin",))
    assert _sla_state(tenant) == before


@pytest.mark.parametrize(("name", "path"), READS, ids=[f"GET {i}" for i in range(len(READS))])
def test_managers_read_sla_configuration_and_agents_may_not(agent_api, manager_api, tenant,
                                                            name, path) -> None:
    url = path(tenant)
    assert manager_api.get(url).status_code == 200
    error(agent_api.get(url), 403, mentions=("manager",))


@pytest.mark.parametrize(("method", "path", "body"), [
    *WRITES, *[("GET", path, None) for _, path in READS]],
    ids=[*(f"{m} {i}" for i, (m, _, _) in enumerate(WRITES)),
         *(f"GET {i}" for i in range(len(READS)))])
def test_sla_endpoints_need_a_token(anonymous_api, tenant, method, path, body) -> None:
    response = _send(anonymous_api, method, path(tenant), body)
    error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_agents_read_clocks_on_cases(agent_api, tenant) -> None:
    case = make_case(tenant, now=NOW)
    body = agent_api.get(f"/cases/CS-{case.number}").json()
    assert body["sla"]["policy"] == "Normal priority" and len(body["sla"]["clocks"]) == 2


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", lambda f: f"{POLICIES}/{f.policy_id}", None),
    ("PATCH", lambda f: f"{POLICIES}/{f.policy_id}", {"name": "x"}),
    ("DELETE", lambda f: f"{POLICIES}/{f.policy_id}", None),
    ("GET", lambda f: f"{CALENDARS}/{f.calendar_id}", None),
    ("PATCH", lambda f: f"{CALENDARS}/{f.calendar_id}", {"name": "x"}),
    ("DELETE", lambda f: f"{CALENDARS}/{f.calendar_id}", None),
    ("GET", lambda f: f"{CALENDARS}/{f.calendar_id}/holidays", None),
    ("POST", lambda f: f"{CALENDARS}/{f.calendar_id}/holidays", {"starts_on": "2026-12-31"}),
    ("POST", lambda f: f"{CALENDARS}/{f.calendar_id}/holidays/import", {"ics": ICS}),
    ("DELETE", lambda f: f"{CALENDARS}/{f.calendar_id}/holidays/{f.holiday_id}", None),
    ("GET", lambda f: f"{RULES}/{f.escalation_rule_id}", None),
    ("PATCH", lambda f: f"{RULES}/{f.escalation_rule_id}", {"name": "x"}),
    ("DELETE", lambda f: f"{RULES}/{f.escalation_rule_id}", None),
    ("GET", lambda f: f"/cases/{f.case_number}", None),
], ids=lambda v: v if isinstance(v, str) else "")
def test_another_tenants_sla_records_are_not_found(admin_api, foreign: Foreign, method, path,
                                                   body) -> None:
    before = _sla_state(foreign.tenant)
    error(_send(admin_api, method, path(foreign), body), 404, mentions=("no ",))
    assert _sla_state(foreign.tenant) == before


def test_a_holiday_of_another_calendar_is_not_found_through_mine(admin_api, tenant) -> None:
    mine = business_hours(tenant)
    other = admin_api.post(CALENDARS, {"name": "Other"}).json()
    holiday = admin_api.post(f"{CALENDARS}/{other['id']}/holidays",
                             {"starts_on": "2026-12-24"}).json()
    error(admin_api.delete(f"{CALENDARS}/{mine.pk}/holidays/{holiday['id']}"), 404)
    assert Holiday.objects.filter(pk=holiday["id"]).exists()


@pytest.mark.parametrize("path", [f"{POLICIES}/0", f"{POLICIES}/{2**63}", f"{CALENDARS}/-1",
                                  f"{RULES}/99999999", f"{CALENDARS}/1/holidays/0"])
def test_unknown_ids_are_not_found(admin_api, path) -> None:
    error(admin_api.get(path) if "holidays" not in path else admin_api.delete(path), 404)
