"""Triage on the case page, in a browser: the model's suggestions appear beside the details,
one click sets the suggested category, and the change shows in the details and on the
timeline without reloading the page."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.tenancy.models import Membership, Tenant
from tests.assist.triage_helpers import BILLING, trained
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_apply_the_suggested_category_and_see_it_on_the_timeline(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    trained(tenant)
    case = make_case(tenant, **BILLING)

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    category = page.get_by_test_id("triage-category")
    expect(category).to_contain_text("Billing")
    expect(category).to_contain_text("%")

    page.get_by_test_id("triage-apply-category").click()
    expect(page.get_by_test_id("triage-flash")).to_contain_text("Category set as suggested")
    expect(category.get_by_test_id("triage-agrees")).to_be_visible()
    expect(page.get_by_test_id("edit-category")).to_contain_text("Billing")
    expect(page.get_by_test_id("timeline")).to_contain_text("Billing")
    assert Case.objects.get(pk=case.pk).category == "Billing"
