"""A macro applied from the case page, in a browser: choose it in the macro menu, read the
preview, apply it, and see the reply on the timeline and the new priority."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.automation.macros import MacroInput, macro_create
from casedesk.cases.models import Case
from casedesk.core.priority import Priority
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn, Settle
from tests.factories import ContactFactory, make_case

pytestmark = pytest.mark.e2e


def test_apply_a_macro_from_the_case_page(page: Page, live_server: Any, log_in: LogIn,
                                          tenant: Tenant, manager: Membership,
                                          agent: Membership, settle: Settle) -> None:
    contact = ContactFactory(tenant=tenant, name="Dana Scully")
    case = make_case(tenant, subject="Production is down", contact_id=contact.pk,
                     priority=Priority.NORMAL, owner_id=agent.user_id)
    macro_create(membership=manager, shared=True, now=NOW, data=MacroInput(
        name="Major incident", reply="Hello {{ contact.name }}, we are on {{ case.number }}.",
        changes={"priority": "urgent"}, tags_add=["incident"]))

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    settle(page)
    page.get_by_test_id("macros-menu").click()
    page.get_by_test_id("macro-option").filter(has_text="Major incident").click()
    preview = page.get_by_test_id("macro-preview")
    expect(preview).to_contain_text(f"Hello Dana Scully, we are on {case.display_number}.")
    expect(preview).to_contain_text("Priority: Normal → Urgent")

    preview.get_by_test_id("macro-apply").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(f"Hello Dana Scully, we are on {case.display_number}.")
    expect(page.locator(".fact.prio-urgent")).to_contain_text("Urgent")
    case = Case.objects.get(pk=case.pk)
    assert case.priority == Priority.URGENT and "incident" in case.tags
