"""SLA in the browser: an admin changes a calendar's Monday hours, adds a holiday, runs the
breach sweep from its button and reads the report; an agent opens a breached case and sees
its clock and the breach in the timeline."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.core.priority import Priority
from casedesk.sla.models import BusinessCalendar, Holiday
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_admin_edits_monday_adds_a_holiday_and_runs_the_sweep(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, admin: Membership,
    clock: Clock,
) -> None:
    # The console's clock two hours after the cases were made: the live server runs in this
    # process, so it reads the same clock.
    clock.advance(hours=2)
    late = make_case(tenant, subject="Checkout is down", priority=Priority.URGENT, now=NOW)
    make_case(tenant, subject="Question about invoices", now=NOW)  # due Monday 17:00
    calendar = BusinessCalendar.objects.get(tenant=tenant)

    log_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="SLA").click()
    expect(page).to_have_url(re.compile(r"/sla/policies$"))
    expect(page.get_by_test_id("policy-row")).to_have_count(4)
    page.get_by_role("navigation", name="SLA").get_by_role("link", name="Business hours").click()
    page.get_by_test_id("calendars").get_by_role("link", name="Business hours", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/sla/calendars/{calendar.pk}$"))

    monday = page.get_by_test_id("day-mon")
    expect(page.get_by_label("Monday shift 1 from")).to_have_value("09:00")
    page.get_by_label("Monday shift 1 from").fill("08:00")
    page.get_by_label("Monday shift 1 to").fill("12:00")
    page.get_by_label("Monday shift 2 from").fill("13:00")
    page.get_by_label("Monday shift 2 to").fill("18:00")
    page.get_by_test_id("save-calendar").click()
    expect(page.get_by_role("status").filter(has_text="Calendar “Business hours” saved.")
           ).to_be_visible()
    expect(monday.get_by_label("Monday shift 2 to")).to_have_value("18:00")
    calendar.refresh_from_db()
    assert calendar.week["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert calendar.week["tue"] == [["09:00", "17:00"]]

    add = page.get_by_test_id("holiday-add")
    add.get_by_label("Name").fill("Christmas")
    add.get_by_label("Date").fill("2026-12-24")
    add.get_by_label("Until").fill("2026-12-26")
    add.get_by_role("button", name="Add holiday").click()
    expect(page.get_by_role("status").filter(has_text="Holiday “Christmas”")).to_be_visible()
    rows = page.get_by_test_id("holiday-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Thu 24 Dec 2026")
    expect(rows.first).to_contain_text("Sat 26 Dec 2026")
    assert list(Holiday.objects.values_list("starts_on", "ends_on")) == [
        (date(2026, 12, 24), date(2026, 12, 26))]

    page.get_by_role("navigation", name="SLA").get_by_role("link",
                                                           name="Settings and sweep").click()
    expect(page).to_have_url(re.compile(r"/sla/settings$"))
    page.get_by_role("button", name="Run breach sweep now").click()
    report = page.get_by_test_id("sweep-report")
    expect(report).to_contain_text("Sweep done")
    expect(report).to_contain_text("1 case(s) breached (1 first response, 0 resolution)")
    expect(report.get_by_test_id("sweep-cases")).to_have_text("1")
    expect(report.get_by_role("link", name=late.display_number)).to_be_visible()
    assert page.url.endswith("/sla/settings")  # swapped in, no page load
    late.refresh_from_db()
    assert late.first_response_breached_at == clock.now
    assert not Case.objects.filter(first_response_breached_at__isnull=False).exclude(
        pk=late.pk).exists()


def test_an_agent_sees_a_breached_clock_on_the_case_page(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership,
    clock: Clock,
) -> None:
    from casedesk.cases.sla_sweep import sla_sweep

    clock.advance(hours=2)  # two hours after the first case was made
    case = make_case(tenant, subject="Checkout is down", priority=Priority.URGENT,
                     owner_id=agent.user_id, now=NOW)
    make_case(tenant, subject="Fresh one", priority=Priority.URGENT, owner_id=agent.user_id,
              now=clock.now - timedelta(minutes=15))
    sla_sweep(now=clock.now, tenant=tenant)  # Monday 11:00; the first reply was due 10:00

    log_in(page, agent)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    table = page.get_by_test_id("case-table")
    expect(table.locator("tr", has_text="Checkout is down").get_by_test_id("sla-badge")
           ).to_have_text("overdue 1 h")
    expect(table.locator("tr", has_text="Fresh one").get_by_test_id("sla-badge")
           ).to_have_text("45 min left")
    page.get_by_label("SLA", exact=True).select_option(label="Breached")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Checkout is down")
    table.get_by_role("link", name="Checkout is down").click()

    expect(page).to_have_url(re.compile(rf"/cases/{case.display_number}$"))
    first = page.get_by_test_id("clock-first_response")
    expect(first).to_have_attribute("data-state", "breached")
    expect(first).to_contain_text("Overdue by 1 h")
    expect(first).to_contain_text("Breached at Mon 23 Nov, 11:00")
    resolution = page.get_by_test_id("clock-resolution")
    expect(resolution).to_have_attribute("data-state", "running")
    expect(resolution).to_contain_text("Due in 2 h")  # urgent: resolved within 4 h
    expect(page.get_by_test_id("sla-policy")).to_have_text("Urgent priority")
    breach = page.get_by_test_id("timeline").locator("li.entry.kind-sla_breached")
    expect(breach).to_contain_text("SLA")
    expect(breach).to_contain_text("target missed: first response")
