"""An automation rule in the browser: an admin writes it in the console, tries it on past
cases, saves it; a new case that matches gets the rule's changes, and its page says which
rule did what."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.automation.models import AutomationRule
from casedesk.cases.models import Case
from casedesk.core.priority import Priority
from casedesk.tenancy.models import Membership, Tenant
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_a_rule_written_in_the_console_acts_on_the_next_matching_case(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, admin: Membership
) -> None:
    make_case(tenant, subject="Outage in the EU region")
    make_case(tenant, subject="How do I export invoices?")

    log_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Automations").click()
    expect(page).to_have_url(re.compile(r"/automations$"))
    expect(page.get_by_role("link", name="Acknowledge new cases")).to_be_visible()
    page.goto(f"{live_server.url}/automations/new")
    page.get_by_test_id("rule-name").fill("Urgent outages")
    page.get_by_test_id("condition-field-0").select_option("subject")
    page.get_by_test_id("condition-op-0").select_option("contains")
    page.get_by_test_id("condition-value-0").fill("outage")
    page.get_by_test_id("action-kind-0").select_option("set_fields")
    page.locator('[name="actions-0-priority"]').select_option("urgent")
    page.locator('[name="actions-0-tags_add"]').fill("vip")

    page.get_by_role("button", name=re.compile("Test on the last 50 cases")).click()
    expect(page.get_by_text("Outage in the EU region")).to_be_visible()
    assert not AutomationRule.objects.filter(tenant=tenant, name="Urgent outages").exists()

    page.get_by_test_id("rule-save").click()
    expect(page).to_have_url(re.compile(r"/automations"))
    expect(page.get_by_role("link", name="Urgent outages")).to_be_visible()

    page.get_by_role("link", name="+ New case").click()
    page.get_by_label("Subject").fill("Second outage this week")
    page.get_by_test_id("create-case").click()
    case = Case.objects.get(tenant=tenant, subject="Second outage this week")
    expect(page).to_have_url(re.compile(rf"/cases/{case.display_number}$"))
    assert case.priority == Priority.URGENT and "vip" in case.tags
    expect(page.locator(".fact.prio-urgent")).to_contain_text("Urgent")
    ran = page.get_by_test_id("timeline").locator("li.kind-automation")
    expect(ran).to_contain_text("set priority to urgent; added tag vip")
    expect(ran.get_by_test_id("automation-rule")).to_have_text("Rule Urgent outages")
