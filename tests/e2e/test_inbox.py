"""Log in through the form, land on the inbox, claim an unassigned case from it."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_log_in_then_claim_from_the_inbox(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership,
    support_queue_with_both_agents: Queue,
) -> None:
    support = support_queue_with_both_agents
    waiting = make_case(tenant, subject="Printer on fire", queue_id=support.pk, priority=4)
    make_case(tenant, subject="Invoice is wrong", owner_id=agent.user_id, queue_id=support.pk)

    page.goto(f"{live_server.url}/inbox/cases")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Email").fill("alice@acme.test")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("didn't match")).to_be_visible()

    log_in(page, agent)
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    table = page.get_by_test_id("inbox-table")
    expect(table).to_contain_text("Invoice is wrong")
    expect(page.get_by_test_id(f"queue-count-{support.pk}")).to_have_text("1 waiting")

    row = page.locator(f"#case-{waiting.number}")
    expect(row).to_contain_text("Printer on fire")
    expect(row).to_contain_text("Unassigned")
    row.get_by_role("button", name="Claim").click()

    expect(row).to_contain_text("Alice Agent")
    expect(row.get_by_role("button", name="Claim")).to_have_count(0)
    expect(page.get_by_test_id(f"queue-count-{support.pk}")).to_have_text("0 waiting")
    assert page.url.endswith("/inbox/cases")  # claimed in place, no page load
    waiting.refresh_from_db()
    assert waiting.owner_id == agent.user_id
    assert Case.objects.filter(tenant=tenant, owner__isnull=True).count() == 0
