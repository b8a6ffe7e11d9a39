"""Routing rules in the browser: an admin writes a rule, tries it on past cases, saves it and
moves it up; the next case follows it. Also: dragging a rule, the htmx condition rows, and
the availability switch."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.routing.models import Queue, RoutingRule
from casedesk.routing.services import RuleInput, rule_create
from casedesk.tenancy.models import Availability, Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def names_in_order(tenant: Tenant) -> list[str]:
    return list(RoutingRule.objects.filter(tenant=tenant).order_by("position")
                .values_list("name", flat=True))


def test_admin_writes_tries_saves_and_moves_up_a_rule_that_then_routes_a_new_case(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, admin: Membership
) -> None:
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    support = Queue.objects.get(tenant=tenant, name="Support")
    # A rule already catches every email (Billing ones too) for Support.
    rule_create(tenant=tenant, now=NOW, data=RuleInput(
        name="Email to Support", conditions=[{"field": "source", "op": "equals",
                                              "value": "email"}],
        actions={"queue_id": support.pk}))
    make_case(tenant, subject="Charged twice", category="Billing", source="email")
    make_case(tenant, subject="Refund missing", category="Billing", source="web")
    make_case(tenant, subject="Cannot log in", category="Technical", source="email")

    log_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Routing").click()
    expect(page).to_have_url(re.compile(r"/routing/rules$"))
    page.get_by_role("link", name="+ New rule").click()

    page.get_by_label("Name").fill("Billing to Finance")
    row = page.get_by_test_id("condition-row").first
    expect(row.get_by_label("Condition 1: field")).to_have_value("category")
    # Only the operators a text field takes are offered.
    expect(row.locator('[data-cond="op"] option[value="gt"]')).to_be_disabled()
    row.get_by_label("Condition 1: operator").select_option("equals")
    row.get_by_label("Condition 1: value").fill("Billing")
    page.get_by_label("Send to queue").select_option(label="Finance")

    page.get_by_test_id("try-rule").click()
    summary = page.get_by_test_id("preview-summary")
    expect(summary).to_contain_text("Matched 2 of 3")
    table = page.get_by_test_id("preview-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    charged = table.locator("tr", has_text="Charged twice")
    expect(charged).to_contain_text("Yes")
    # Added last, the new rule loses the emailed Billing case to "Email to Support".
    expect(charged).to_contain_text("Email to Support")
    refund = table.locator("tr", has_text="Refund missing")
    expect(refund).to_contain_text("Billing to Finance")
    expect(refund.locator("td").last).to_have_text("Finance")
    assert page.url.endswith("/routing/rules/new")  # swapped in, no page load
    assert not RoutingRule.objects.filter(name="Billing to Finance").exists()

    page.get_by_test_id("save-rule").click()
    expect(page).to_have_url(re.compile(r"/routing/rules#rule-\d+$"))
    expect(page.get_by_role("status").filter(has_text="created at place 2")).to_be_visible()
    rows = page.get_by_test_id("rule-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Billing to Finance")
    expect(rows.nth(1)).to_contain_text("Category is Billing")
    expect(rows.nth(1)).to_contain_text("Queue Finance")

    page.get_by_role("button", name="Move Billing to Finance up").click()
    expect(rows.nth(0)).to_contain_text("Billing to Finance")
    expect(page.get_by_test_id("rules-status")).to_have_text(
        "“Billing to Finance” moved up to place 1.")
    # The keyboard stays on the rule: "up" is disabled at the top, so "down" has the focus.
    expect(page.get_by_role("button", name="Move Billing to Finance up")).to_be_disabled()
    expect(page.get_by_role("button", name="Move Billing to Finance down")).to_be_focused()
    assert names_in_order(tenant) == ["Billing to Finance", "Email to Support"]

    # A new emailed Billing case now lands in Finance, by the rule.
    page.get_by_role("link", name="+ New case").click()
    page.get_by_label("Subject").fill("Invoice shows the wrong VAT")
    page.get_by_label("Source").select_option("email")
    page.get_by_label("Category", exact=True).select_option("Billing")
    page.get_by_label("Queue", exact=True).select_option(label="Let routing decide")
    page.get_by_label("Owner", exact=True).select_option(label="Unassigned")
    page.get_by_test_id("create-case").click()

    case = Case.objects.get(tenant=tenant, subject="Invoice shows the wrong VAT")
    expect(page).to_have_url(re.compile(rf"/cases/{case.display_number}$"))
    assert case.queue_id == finance.pk
    expect(page.locator("#case-header")).to_contain_text("Queue Finance")
    routed = page.get_by_test_id("timeline").locator("li.kind-routed")
    expect(routed).to_contain_text("routed the case to Finance")
    expect(routed.get_by_test_id("routed-rule")).to_have_text("Rule Billing to Finance")
    expect(routed).to_contain_text("Routed by rule “Billing to Finance” to Finance.")


def test_drag_a_rule_add_conditions_and_switch_availability(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, admin: Membership
) -> None:
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    for name in ("First", "Second", "Third"):
        rule_create(tenant=tenant, now=NOW, data=RuleInput(
            name=name, conditions=[{"field": "subject", "op": "contains", "value": name}],
            actions={"queue_id": finance.pk}))

    log_in(page, admin)
    page.goto(f"{live_server.url}/routing/rules")
    handles = page.locator(".drag-handle")
    handles.nth(2).drag_to(page.get_by_test_id("rule-row").nth(0), target_position={"x": 5,
                                                                                     "y": 3})
    expect(page.get_by_test_id("rules-status")).to_have_text("Rules reordered.")
    expect(page.get_by_test_id("rule-row").nth(0)).to_contain_text("Third")
    assert names_in_order(tenant) == ["Third", "First", "Second"]

    # Condition rows come and go without a page load; the form keeps what was typed.
    page.get_by_role("link", name="+ New rule").click()
    page.evaluate("window.e2eSamePage = true")
    page.get_by_label("Name").fill("Two conditions")
    page.get_by_test_id("add-condition").click()
    rows = page.get_by_test_id("condition-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("Condition 2: field")).to_be_focused()
    rows.nth(1).get_by_label("Condition 2: field").select_option("custom")
    expect(rows.nth(1).get_by_label("Condition 2: custom field key")).to_be_visible()
    expect(rows.nth(0).get_by_label("Condition 1: custom field key")).to_be_hidden()
    page.get_by_role("button", name="Remove condition 1").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Name")).to_have_value("Two conditions")
    assert page.evaluate("window.e2eSamePage") is True

    # My availability, from the top bar, swapped in place.
    current = page.get_by_test_id("availability-current")
    expect(current).to_have_text("Available")
    current.click()
    page.get_by_test_id("availability").get_by_role("button", name="Away").click()
    expect(current).to_have_text("Away")
    expect(page.get_by_test_id("availability-away")).to_be_hidden()  # the menu closed
    current.click()
    expect(page.get_by_test_id("availability-away")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.e2eSamePage") is True
    admin.refresh_from_db()
    assert admin.availability == Availability.AWAY
