"""The SLA pages: policies (list, order, enable, delete, form), business-hours calendars with
holidays and iCalendar import, escalation rules, settings, and the "Run breach sweep now"
button on the settings page. What the clocks look like on the case pages is in
`tests/console/test_case_sla.py`."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.core.priority import Priority
from casedesk.routing.models import Queue
from casedesk.sla.calendars import holiday_add
from casedesk.sla.escalation import escalation_rule_save
from casedesk.sla.models import BusinessCalendar, EscalationRule, Holiday, SlaPolicy
from casedesk.sla.policies import policy_create
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW, login
from tests.console.test_case_sla import clocks
from tests.factories import make_case

HX = {"HTTP_HX_REQUEST": "true"}
H = timedelta(hours=1)
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
       b"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\n"
       b"SUMMARY:Christmas\r\nEND:VEVENT\r\n"
       b"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n"
       b"END:VCALENDAR\r\n")


@pytest.fixture
def calendar(tenant: Tenant) -> BusinessCalendar:
    """The seeded Mon–Fri 09:00–17:00 calendar (UTC, the tenant's zone)."""
    return BusinessCalendar.objects.get(tenant=tenant)


@pytest.fixture
def rule(tenant: Tenant) -> EscalationRule:
    return escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "Idle urgent", "conditions": [{"field": "idle_hours", "op": "gt", "value": 4}],
        "actions": {"notify": ["managers"]}})


def names(tenant: Tenant) -> list[str]:
    return list(SlaPolicy.objects.filter(tenant=tenant).order_by("position")
                .values_list("name", flat=True))


DEFAULTS = ["Urgent priority", "High priority", "Normal priority", "Low priority"]


def policy_form(name: str = "Gold accounts", *conditions: tuple[str, str, str],
                **extra: str) -> dict[str, str]:
    """The policy form as a browser sends it."""
    data = {"name": name, "is_enabled": "1", "calendar": "",
            "first_response_hours": "1", "first_response_mins": "30",
            "first_response_business": "0",
            "next_response_hours": "", "next_response_mins": "", "next_response_business": "1",
            "resolution_hours": "8", "resolution_mins": "0", "resolution_business": "1",
            "warn_at_percent": "80", "action": "save"}
    for i, (field, op, value) in enumerate(conditions):
        data.update({f"c-{i}-field": field, f"c-{i}-key": "", f"c-{i}-op": op,
                     f"c-{i}-value": value})
    data.update(extra)
    return data


def week_form(name: str, zone: str = "UTC", **shifts: str) -> dict[str, str]:
    """The calendar form; shifts as mon_0="09:00-17:00"."""
    data = {"name": name, "time_zone": zone}
    for key, span in shifts.items():
        day, index = key.split("_")
        start, _, end = span.partition("-")
        data[f"w-{day}-{index}-start"], data[f"w-{day}-{index}-end"] = start, end
    return data


def escalation_form(name: str = "Old urgent to tier 2", *conditions: tuple[str, str, str],
                    notify: tuple[str, ...] = (), users: tuple[int, ...] = (),
                    **extra: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "is_enabled": "1", "queue": "", "action": "save",
                            "notify": list(notify), "notify_user": [str(u) for u in users]}
    for i, (field, op, value) in enumerate(conditions):
        data.update({f"c-{i}-field": field, f"c-{i}-op": op, f"c-{i}-value": value})
    data.update(extra)
    return data


# --- who may see and change what -------------------------------------------------------------

def test_agents_get_403_everywhere(tenant, agent, calendar, rule):
    client = login(agent)
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    holiday = holiday_add(calendar=calendar, name="Boxing Day", starts_on=date(2026, 12, 26))
    for path in ("/sla/", "/sla/policies", "/sla/policies/new", f"/sla/policies/{policy.pk}",
                 "/sla/calendars", "/sla/calendars/new", f"/sla/calendars/{calendar.pk}",
                 "/sla/escalations", "/sla/escalations/new", f"/sla/escalations/{rule.pk}",
                 "/sla/settings"):
        assert client.get(path).status_code == 403, path
    for path, data in ((f"/sla/policies/{policy.pk}/toggle", {"enable": "0"}),
                       (f"/sla/policies/{policy.pk}/move", {"direction": "down"}),
                       (f"/sla/policies/{policy.pk}/delete", {}),
                       ("/sla/policies/new", policy_form("Sneaky")),
                       (f"/sla/policies/{policy.pk}", policy_form("Renamed")),
                       ("/sla/calendars/new", week_form("Sneaky", mon_0="09:00-17:00")),
                       (f"/sla/calendars/{calendar.pk}", week_form("Renamed")),
                       (f"/sla/calendars/{calendar.pk}/delete", {}),
                       (f"/sla/calendars/{calendar.pk}/holidays", {"starts_on": "2026-12-24"}),
                       (f"/sla/calendars/{calendar.pk}/holidays/{holiday.pk}/delete", {}),
                       (f"/sla/calendars/{calendar.pk}/holidays/import",
                        {"file": SimpleUploadedFile("h.ics", ICS)}),
                       ("/sla/escalations/new", escalation_form("x", ("age_hours", "gt", "1"),
                                                                notify=("owner",))),
                       (f"/sla/escalations/{rule.pk}/toggle", {"enable": "0"}),
                       (f"/sla/escalations/{rule.pk}/delete", {}),
                       ("/sla/settings", {"sla_sweep_minutes": "5"}),
                       ("/sla/sweep", {})):
        assert client.post(path, data).status_code == 403, path
    assert names(tenant) == DEFAULTS
    assert SlaPolicy.objects.filter(tenant=tenant, is_enabled=False).count() == 0
    assert list(BusinessCalendar.objects.values_list("name", flat=True)) == ["Business hours"]
    assert Holiday.objects.count() == 1 and EscalationRule.objects.get().is_enabled
    tenant.refresh_from_db()
    assert tenant.sla_sweep_minutes == 0


def test_nav_shows_sla_to_admins_and_managers_only(admin, manager, agent):
    link = 'href="/sla/policies"'
    assert link in login(admin).get("/inbox/cases").content.decode()
    assert link in login(manager).get("/inbox/cases").content.decode()
    assert link not in login(agent).get("/inbox/cases").content.decode()


def test_managers_read_but_do_not_change(tenant, manager, calendar, rule):
    client = login(manager)
    policy = SlaPolicy.objects.filter(tenant=tenant).first()
    for path in ("/sla/policies", f"/sla/policies/{policy.pk}", "/sla/calendars",
                 f"/sla/calendars/{calendar.pk}", "/sla/escalations",
                 f"/sla/escalations/{rule.pk}", "/sla/settings"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert 'data-testid="read-only"' in body, path
        assert "Run breach sweep now" not in body
    body = client.get("/sla/policies").content.decode()
    assert "Normal priority" in body and "+ New policy" not in body and "Delete…" not in body
    body = client.get(f"/sla/policies/{policy.pk}").content.decode()
    assert '<fieldset class="bare" disabled>' in body and "Save policy" not in body
    body = client.get(f"/sla/calendars/{calendar.pk}").content.decode()
    assert "Add holiday" not in body and "Import" not in body.split('id="holidays"')[1]
    assert client.get("/sla/policies/new").status_code == 403
    assert client.post(f"/sla/policies/{policy.pk}/toggle", {"enable": "0"}).status_code == 403
    assert client.post("/sla/sweep").status_code == 403
    assert names(tenant) == DEFAULTS


def test_another_tenants_policy_calendar_holiday_and_rule_are_404(admin, other_tenant):
    client = login(admin)
    policy = SlaPolicy.objects.filter(tenant=other_tenant).first()
    calendar = BusinessCalendar.objects.get(tenant=other_tenant)
    holiday = holiday_add(calendar=calendar, name="Theirs", starts_on=date(2026, 12, 24))
    rule = escalation_rule_save(tenant=other_tenant, now=NOW, values={
        "name": "Theirs", "conditions": [{"field": "age_hours", "op": "gt", "value": 1}],
        "actions": {"raise_priority": True}})
    mine = BusinessCalendar.objects.get(tenant=admin.tenant)
    for path in (f"/sla/policies/{policy.pk}", f"/sla/calendars/{calendar.pk}",
                 f"/sla/escalations/{rule.pk}", "/sla/policies/0",
                 "/sla/policies/99999999999999999999"):
        assert client.get(path).status_code == 404, path
    for path, data in ((f"/sla/policies/{policy.pk}", policy_form("Mine now")),
                       (f"/sla/policies/{policy.pk}/toggle", {"enable": "0"}),
                       (f"/sla/policies/{policy.pk}/move", {"direction": "down"}),
                       (f"/sla/policies/{policy.pk}/delete", {}),
                       (f"/sla/calendars/{calendar.pk}", week_form("Mine now")),
                       (f"/sla/calendars/{calendar.pk}/delete", {}),
                       (f"/sla/calendars/{calendar.pk}/holidays", {"starts_on": "2026-12-25"}),
                       (f"/sla/calendars/{calendar.pk}/holidays/import",
                        {"file": SimpleUploadedFile("h.ics", ICS)}),
                       (f"/sla/calendars/{calendar.pk}/holidays/{holiday.pk}/delete", {}),
                       (f"/sla/calendars/{mine.pk}/holidays/{holiday.pk}/delete", {}),
                       (f"/sla/escalations/{rule.pk}", escalation_form("Mine now")),
                       (f"/sla/escalations/{rule.pk}/toggle", {"enable": "0"}),
                       (f"/sla/escalations/{rule.pk}/delete", {})):
        assert client.post(path, data).status_code == 404, path
    policy.refresh_from_db()
    calendar.refresh_from_db()
    rule.refresh_from_db()
    assert policy.is_enabled and policy.name == "Urgent priority"
    assert calendar.name == "Business hours" and rule.name == "Theirs" and rule.is_enabled
    assert Holiday.objects.filter(calendar=calendar).count() == 1
    assert not Holiday.objects.filter(calendar=mine).exists()


# --- policies ---------------------------------------------------------------------------------

def test_policies_are_listed_in_order_with_their_targets(admin, tenant):
    make_case(tenant, priority=Priority.URGENT)
    body = login(admin).get("/sla/policies").content.decode()
    positions = [body.index(name) for name in DEFAULTS]
    assert positions == sorted(positions)
    assert "Priority is urgent" in body
    assert "1 h (calendar)" in body and "8 h (business)" in body
    assert "Business hours" in body


def test_admin_creates_a_policy(admin, tenant, calendar, django_capture_on_commit_callbacks):
    data = policy_form("Gold accounts", ("account.tier", "equals", "Gold"),
                       ("priority", "in", "high, urgent"), calendar=str(calendar.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin).post("/sla/policies/new", data)
    policy = SlaPolicy.objects.get(tenant=tenant, name="Gold accounts")
    assert response.status_code == 302
    assert response["Location"] == f"/sla/policies#policy-{policy.pk}"
    assert policy.position == 4 and policy.is_enabled and policy.calendar_id == calendar.pk
    assert policy.conditions == [
        {"field": "account.tier", "op": "equals", "value": "Gold"},
        {"field": "priority", "op": "in", "value": ["high", "urgent"]}]
    assert (policy.first_response_minutes, policy.first_response_business) == (90, False)
    assert policy.next_response_minutes is None
    assert (policy.resolution_minutes, policy.resolution_business) == (480, True)
    assert policy.warn_at_percent == 80
    form = login(admin).get(f"/sla/policies/{policy.pk}").content.decode()
    assert 'name="first_response_hours" value="1"' in form
    assert 'name="first_response_mins" value="30"' in form
    assert 'name="c-1-value" value="high, urgent"' in form


def test_editing_a_policy_recomputes_open_cases(admin, tenant,
                                                django_capture_on_commit_callbacks):
    case = make_case(tenant, now=NOW)  # normal: first response 8 business hours
    assert case.first_response_due_at == NOW + 8 * H
    normal = SlaPolicy.objects.get(tenant=tenant, name="Normal priority")
    data = policy_form("Normal priority", ("priority", "equals", "normal"),
                       first_response_hours="2", first_response_mins="0",
                       first_response_business="0", next_response_hours="4",
                       resolution_hours="24", resolution_business="1",
                       calendar=str(normal.calendar_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin).post(f"/sla/policies/{normal.pk}", data, follow=True)
    assert "Policy “Normal priority” saved." in response.content.decode()
    normal.refresh_from_db()
    assert normal.first_response_minutes == 120 and normal.next_response_minutes == 240
    assert normal.position == 2  # editing keeps the place
    case.refresh_from_db()
    assert case.first_response_due_at == NOW + 2 * H


@pytest.mark.parametrize(("changes", "message", "field"), [
    ({"name": ""}, "A policy needs a name", "name"),
    ({"first_response_hours": "", "first_response_mins": ""},
     "First response: give a target", "first_response_minutes"),
    ({"first_response_hours": "0", "first_response_mins": "0"},
     "at least one minute", "first_response_minutes"),
    ({"resolution_hours": "abc"}, "the hours must be a whole number", "resolution_minutes"),
    ({"resolution_mins": "75"}, "minutes go from 0 to 59", "resolution_minutes"),
    ({"resolution_hours": "10000"}, "Resolution: a target of at most 8784 hours",
     "resolution_minutes"),
    ({"warn_at_percent": "150"}, "The warning comes at 1 to 100 %", "warn_at_percent"),
    ({"calendar": "999999"}, "No calendar with id", "calendar_id"),
    ({"name": "Bad\x00name"}, "cannot be stored", ""),
])
def test_an_invalid_policy_shows_the_reason_and_saves_nothing(admin, tenant, changes, message,
                                                               field):
    response = login(admin).post("/sla/policies/new", {**policy_form("Broken"), **changes})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="form-error"' in body and message in body and "Nothing was saved" in body
    assert response.context["error_field"] == field
    assert names(tenant) == DEFAULTS
    # What was typed is kept.
    assert f'name="resolution_hours" value="{changes.get("resolution_hours", "8")}"' in body


def test_an_invalid_condition_marks_its_row(admin, tenant):
    data = policy_form("Broken", ("category", "equals", "Billing"),
                       ("priority", "equals", "bogus"))
    response = login(admin).post("/sla/policies/new", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "condition 2" in body.lower()
    rows = body.split('data-testid="condition-row"')
    assert "has-error" not in rows[0][-60:] and 'has-error"' in rows[1][-40:]
    assert names(tenant) == DEFAULTS


def test_condition_rows_are_added_and_removed_by_htmx(admin):
    client = login(admin)
    data = policy_form("Draft", ("category", "equals", "Billing"), action="add")
    html = client.post("/sla/policies/new", data, **HX).content.decode()
    assert html.lstrip().startswith('<fieldset id="conditions"')
    assert html.count('data-testid="condition-row"') == 2 and "<html" not in html
    data = policy_form("Draft", ("category", "equals", "Billing"), ("source", "equals", "web"),
                       action="remove:0")
    html = client.post("/sla/policies/new", data, **HX).content.decode()
    assert html.count('data-testid="condition-row"') == 1 and 'value="web"' in html
    assert not SlaPolicy.objects.filter(name="Draft").exists()


def test_policies_move_toggle_and_delete(admin, tenant, django_capture_on_commit_callbacks):
    client = login(admin)
    low = SlaPolicy.objects.get(tenant=tenant, name="Low priority")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sla/policies/{low.pk}/move", {"direction": "up"}, **HX)
    assert response.status_code == 200
    assert "moved up to place 3" in response.content.decode()
    assert response.content.decode().lstrip().startswith('<div id="policies"')
    assert names(tenant) == ["Urgent priority", "High priority", "Low priority",
                             "Normal priority"]
    client.post(f"/sla/policies/{low.pk}/move", {"direction": "up"})
    client.post(f"/sla/policies/{low.pk}/move", {"direction": "up"})
    stays = client.post(f"/sla/policies/{low.pk}/move", {"direction": "up"}, follow=True)
    assert "stays at place 1" in stays.content.decode()
    assert names(tenant)[0] == "Low priority"

    client.post(f"/sla/policies/{low.pk}/toggle", {"enable": "0"})
    low.refresh_from_db()
    assert not low.is_enabled
    client.post(f"/sla/policies/{low.pk}/toggle", {"enable": "0"})  # twice: still disabled
    low.refresh_from_db()
    assert not low.is_enabled

    response = client.post(f"/sla/policies/{low.pk}/delete", follow=True)
    assert "“Low priority” deleted." in response.content.decode()
    assert names(tenant) == ["Urgent priority", "High priority", "Normal priority"]
    assert list(SlaPolicy.objects.filter(tenant=tenant).order_by("position")
                .values_list("position", flat=True)) == [0, 1, 2]


# --- calendars and holidays ---------------------------------------------------------------------

def test_admin_creates_a_calendar_with_split_and_overnight_shifts(admin, tenant):
    data = week_form("Night desk", "Asia/Kolkata", mon_0="22:00-06:00", tue_0="9:00-12:00",
                     tue_1="13:00-17:00")
    response = login(admin).post("/sla/calendars/new", data)
    calendar = BusinessCalendar.objects.get(tenant=tenant, name="Night desk")
    assert response.status_code == 302 and response["Location"] == f"/sla/calendars/{calendar.pk}"
    assert calendar.time_zone == "Asia/Kolkata"
    assert calendar.week == {"mon": [["22:00", "06:00"]],
                             "tue": [["09:00", "12:00"], ["13:00", "17:00"]]}
    body = login(admin).get("/sla/calendars").content.decode()
    assert "Mon 22:00–06:00" in body and "Tue 09:00–12:00, 13:00–17:00" in body


def test_the_new_calendar_form_starts_from_office_hours(admin, tenant):
    tenant.time_zone = "Europe/Berlin"
    tenant.save()
    body = login(admin).get("/sla/calendars/new").content.decode()
    assert '<option selected>Europe/Berlin</option>' in body
    assert 'name="w-mon-0-start" value="09:00"' in body
    assert 'name="w-sat-0-start" value=""' in body


def test_editing_monday_recomputes_open_cases(admin, tenant, calendar,
                                              django_capture_on_commit_callbacks):
    case = make_case(tenant, now=NOW)  # Monday 09:00; 8 business hours to respond
    data = week_form("Business hours", mon_0="10:00-18:00", tue_0="09:00-17:00",
                     wed_0="09:00-17:00", thu_0="09:00-17:00", fri_0="09:00-17:00")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(admin).post(f"/sla/calendars/{calendar.pk}", data, follow=True)
    assert "Calendar “Business hours” saved." in response.content.decode()
    calendar.refresh_from_db()
    assert calendar.week["mon"] == [["10:00", "18:00"]]
    case.refresh_from_db()
    assert case.first_response_due_at == NOW + 9 * H  # Monday 18:00


@pytest.mark.parametrize(("data", "message", "day"), [
    (week_form("Bad", wed_0="25:00-17:00"), "Wednesday: times are HH:MM", "wed"),
    (week_form("Bad", thu_0="09:00-"), "Thursday: shift 1 needs a start and an end", "thu"),
    (week_form("Bad", fri_0="09:00-09:00"), "Friday: 09:00–09:00 is not a shift", "fri"),
    (week_form("Bad", "Mars/Base", mon_0="09:00-17:00"), "Unknown time zone", None),
    (week_form("", mon_0="09:00-17:00"), "A calendar needs a name", None),
    (week_form("Business hours", mon_0="09:00-17:00"), "already a calendar named", None),
])
def test_an_invalid_calendar_shows_the_reason_and_saves_nothing(admin, tenant, data, message,
                                                                 day):
    response = login(admin).post("/sla/calendars/new", data)
    # A name in use is a conflict; everything else is invalid input.
    assert response.status_code == (409 if message == "already a calendar named" else 422)
    body = response.content.decode()
    assert message in body and "Nothing was saved" in body
    if day:
        row = body.split(f'data-testid="day-{day}"')[0].rsplit("<tr", 1)[1]
        assert "has-error" in row
    assert BusinessCalendar.objects.filter(tenant=tenant).count() == 1


def test_holidays_are_added_as_days_or_ranges_and_deleted(admin, tenant, calendar,
                                                          django_capture_on_commit_callbacks):
    client = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sla/calendars/{calendar.pk}/holidays",
                               {"name": "Christmas", "starts_on": "2026-12-24",
                                "ends_on": "2026-12-26"}, follow=True)
    body = response.content.decode()
    assert "Holiday “Christmas” (24 Dec 2026 – 26 Dec 2026) added." in body
    client.post(f"/sla/calendars/{calendar.pk}/holidays",
                {"name": "", "starts_on": "2027-01-01", "ends_on": ""})
    assert list(Holiday.objects.filter(calendar=calendar).order_by("starts_on")
                .values_list("name", "starts_on", "ends_on")) == [
        ("Christmas", date(2026, 12, 24), date(2026, 12, 26)),
        ("", date(2027, 1, 1), date(2027, 1, 1))]
    body = client.get(f"/sla/calendars/{calendar.pk}").content.decode()
    assert body.count('data-testid="holiday-row"') == 2 and "Thu 24 Dec 2026" in body
    new_year = Holiday.objects.get(starts_on=date(2027, 1, 1))
    client.post(f"/sla/calendars/{calendar.pk}/holidays/{new_year.pk}/delete")
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Christmas"]


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "Backwards", "starts_on": "2026-12-26", "ends_on": "2026-12-24"},
     "ends on or after the day it starts"),
    ({"name": "No date", "starts_on": "", "ends_on": ""}, "Give the holiday"),
    ({"name": "Bad date", "starts_on": "24/12/2026", "ends_on": ""}, "is a date such as"),
    ({"name": "Too long", "starts_on": "2026-01-01", "ends_on": "2028-01-01"},
     "at most a year"),
])
def test_an_invalid_holiday_shows_the_reason_and_saves_nothing(admin, calendar, data, message):
    response = login(admin).post(f"/sla/calendars/{calendar.pk}/holidays", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="holiday-error"' in body and message in body
    assert f'value="{data["name"]}"' in body  # what was typed is kept
    assert not Holiday.objects.exists()


def test_an_icalendar_file_imports_its_holidays_once(admin, calendar,
                                                     django_capture_on_commit_callbacks):
    client = login(admin)
    url = f"/sla/calendars/{calendar.pk}/holidays/import"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("holidays.ics", ICS)},
                               follow=True)
    assert "Imported 2 holidays into “Business hours”." in response.content.decode()
    assert list(Holiday.objects.order_by("starts_on").values_list("name", "starts_on",
                                                                  "ends_on")) == [
        ("Christmas", date(2026, 12, 24), date(2026, 12, 26)),
        ("New Year", date(2027, 1, 1), date(2027, 1, 1))]
    again = client.post(url, {"file": SimpleUploadedFile("holidays.ics", ICS)}, follow=True)
    assert "No holidays added" in again.content.decode()
    assert Holiday.objects.count() == 2


@pytest.mark.parametrize(("content", "message"), [
    (b"hello", "not an iCalendar file"),
    (b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-12\nEND:VEVENT\nEND:VCALENDAR",
     "not a date"),
    (b"\xff\xfe\x00B\x00E", "not UTF-8"),
    (None, "Choose an iCalendar (.ics) file"),
])
def test_a_bad_icalendar_file_is_refused_and_adds_nothing(admin, calendar, content, message):
    data = {"file": SimpleUploadedFile("bad.ics", content)} if content is not None else {}
    response = login(admin).post(f"/sla/calendars/{calendar.pk}/holidays/import", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="import-error"' in body and message in body
    assert not Holiday.objects.exists()


def test_deleting_a_calendar_leaves_its_policies_round_the_clock(admin, tenant, calendar):
    response = login(admin).post(f"/sla/calendars/{calendar.pk}/delete", follow=True)
    assert "Calendar “Business hours” deleted." in response.content.decode()
    assert not BusinessCalendar.objects.filter(tenant=tenant).exists()
    assert set(SlaPolicy.objects.filter(tenant=tenant).values_list("calendar", flat=True)) == {
        None}


# --- escalation rules ---------------------------------------------------------------------------

def test_admin_creates_an_escalation_rule_in_plain_words(admin, tenant, agent,
                                                         support_queue):
    engineering = Queue.objects.get(tenant=tenant, name="Engineering")
    data = escalation_form("Old urgent to tier 2", ("age_hours", "gt", "4"),
                           ("priority", "in", "High, urgent"), ("queue_id", "equals", "support"),
                           ("breached", "equals", "first response"),
                           ("status", "in", "open, In progress"),
                           notify=("owner_manager", "admins"), users=(agent.user_id,),
                           queue=str(engineering.pk), raise_priority="1")
    response = login(admin).post("/sla/escalations/new", data)
    rule = EscalationRule.objects.get(tenant=tenant, name="Old urgent to tier 2")
    assert response.status_code == 302
    assert rule.conditions == [
        {"field": "age_hours", "op": "gt", "value": 4.0},
        {"field": "priority", "op": "in", "value": [3, 4]},
        {"field": "queue_id", "op": "equals", "value": support_queue.pk},
        {"field": "breached", "op": "equals", "value": "first_response"},
        {"field": "status", "op": "in", "value": ["open", "in_progress"]}]
    assert rule.actions == {"notify": ["owner_manager", "admins", f"user:{agent.user_id}"],
                            "queue_id": engineering.pk, "raise_priority": True}
    client = login(admin)
    listed = client.get("/sla/escalations").content.decode()
    assert "Age in hours is more than 4" in listed and "Queue is Support" in listed
    assert "Priority is one of high, urgent" in listed
    assert "Notify the owner&#x27;s manager, every admin, Alice Agent" in listed
    assert "Move to Engineering, unassigned" in listed
    form = client.get(f"/sla/escalations/{rule.pk}").content.decode()
    assert 'name="c-0-value" value="4"' in form and 'name="c-2-value" value="Support"' in form
    assert 'name="c-1-value" value="high, urgent"' in form
    # Saved again unchanged, it stays the same rule.
    resave = escalation_form("Old urgent to tier 2", ("age_hours", "gt", "4"),
                             ("priority", "in", "high, urgent"), ("queue_id", "equals", "Support"),
                             ("breached", "equals", "first_response"),
                             ("status", "in", "open, in_progress"),
                             notify=("owner_manager", "admins"), users=(agent.user_id,),
                             queue=str(engineering.pk), raise_priority="1")
    assert client.post(f"/sla/escalations/{rule.pk}", resave).status_code == 302
    updated = EscalationRule.objects.get(pk=rule.pk)
    assert (updated.conditions, updated.actions) == (rule.conditions, rule.actions)


@pytest.mark.parametrize(("conditions", "extra", "message"), [
    ((), {"raise_priority": "1"}, "at least one condition"),
    ((("age_hours", "gt", "4"),), {}, "at least one action"),
    ((("age_hours", "gt", "four"),), {"raise_priority": "1"},
     "condition 1: hours are a number"),
    ((("age_hours", "gt", "1"), ("queue_id", "equals", "Nowhere")), {"raise_priority": "1"},
     "condition 2: there is no queue named"),
    ((("status", "equals", "resolved"),), {"raise_priority": "1"}, "condition 1: a status"),
    ((("owner_id", "gt", "1"),), {"raise_priority": "1"}, "owner_id takes the operators"),
])
def test_an_invalid_escalation_rule_shows_the_reason_and_saves_nothing(admin, conditions,
                                                                        extra, message):
    response = login(admin).post("/sla/escalations/new",
                                 escalation_form("Broken", *conditions, **extra))
    assert response.status_code == 422
    body = response.content.decode()
    assert message.lower() in body.lower() and "Nothing was saved" in body
    assert not EscalationRule.objects.exists()


def test_a_rule_keeps_showing_a_queue_that_was_deactivated_since(admin, tenant):
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    rule = escalation_rule_save(tenant=tenant, now=NOW, values={
        "name": "To Finance", "conditions": [{"field": "age_hours", "op": "gt", "value": 2}],
        "actions": {"queue_id": finance.pk}})
    Queue.objects.filter(pk=finance.pk).update(is_active=False)
    client = login(admin)
    form = client.get(f"/sla/escalations/{rule.pk}").content.decode()
    assert f'<option value="{finance.pk}" selected>Finance (inactive)</option>' in form
    response = client.post(f"/sla/escalations/{rule.pk}", escalation_form(
        "To Finance", ("age_hours", "gt", "2"), queue=str(finance.pk)))
    assert response.status_code == 422 and "No active queue" in response.content.decode()
    rule.refresh_from_db()
    assert rule.actions == {"queue_id": finance.pk}


def test_escalation_rules_are_enabled_disabled_and_deleted(admin, rule):
    client = login(admin)
    response = client.post(f"/sla/escalations/{rule.pk}/toggle", {"enable": "0"}, **HX)
    assert response.content.decode().lstrip().startswith('<div id="escalations"')
    rule.refresh_from_db()
    assert not rule.is_enabled
    response = client.post(f"/sla/escalations/{rule.pk}/delete", follow=True)
    assert "“Idle urgent” deleted." in response.content.decode()
    assert not EscalationRule.objects.exists()


# --- settings and the sweep --------------------------------------------------------------------

def test_admin_changes_the_sla_settings(admin, tenant, django_capture_on_commit_callbacks):
    client = login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sla/settings", {"sla_sweep_minutes": "15"}, follow=True)
    assert "the sweep runs every 15 min" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.sla_sweep_minutes == 15 and not tenant.sla_pause_when_pending
    client.post("/sla/settings", {"sla_pause_when_pending": "1", "sla_sweep_minutes": "0"})
    tenant.refresh_from_db()
    assert tenant.sla_sweep_minutes == 0 and tenant.sla_pause_when_pending


@pytest.mark.parametrize(("minutes", "message"), [
    ("2000", "between 0 (off) and 1440"), ("-5", "must be a whole number"),
    ("abc", "must be a whole number")])
def test_invalid_settings_show_the_reason_and_save_nothing(admin, tenant, minutes, message):
    response = login(admin).post("/sla/settings", {"sla_sweep_minutes": minutes})
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and f'value="{minutes}"' in body
    tenant.refresh_from_db()
    assert tenant.sla_sweep_minutes == 0 and tenant.sla_pause_when_pending


def test_the_sweep_button_marks_breaches_and_shows_the_report(admin, tenant, other_tenant,
                                                              agent, clock):
    late = make_case(tenant, now=NOW, priority=Priority.URGENT, owner_id=agent.user_id)
    fine = make_case(tenant, now=NOW, subject="Still in time")
    theirs = make_case(other_tenant, now=NOW, priority=Priority.URGENT)
    clock.now = NOW + 2 * H  # urgent: first response within 1 h
    response = login(admin).post("/sla/sweep", **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="sweep-report"')
    assert "1 case(s) breached (1 first response, 0 resolution)" in body
    assert 'data-testid="sweep-cases">1<' in body
    assert f">{late.display_number}</a>" in body and fine.display_number not in body
    late.refresh_from_db()
    theirs.refresh_from_db()
    assert late.first_response_breached_at == NOW + 2 * H
    assert theirs.first_response_breached_at is None  # another tenant's cases are not swept
    # Without htmx: back to the page, with the summary.
    clock.now = NOW + 2 * H + timedelta(minutes=5)
    response = login(admin).post("/sla/sweep", follow=True)
    assert response.redirect_chain[-1][0] == "/sla/settings#sweep"
    assert "Breach sweep done: 0 case(s) breached" in response.content.decode()


def test_policy_changes_made_here_reach_the_case_page(admin, tenant, agent, clock,
                                                      django_capture_on_commit_callbacks):
    case = make_case(tenant, now=NOW, category="Billing")
    with django_capture_on_commit_callbacks(execute=True):
        fast = policy_create(tenant=tenant, now=NOW, values={
            "name": "Billing fast", "conditions": [
                {"field": "category", "op": "equals", "value": "Billing"}],
            "first_response_minutes": 30, "first_response_business": False,
            "resolution_minutes": 240, "resolution_business": False})
    client = login(admin)
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/sla/policies/{fast.pk}/move", {"direction": "up"})
    assert names(tenant)[0] == "Billing fast"
    clock.now = NOW + timedelta(minutes=10)
    shown = clocks(login(agent), case)
    assert "Billing fast" in shown["section"] and "Due in 20 min" in shown["first_response"]
