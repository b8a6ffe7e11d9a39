"""The header's search box: a word that is only in an internal note finds its case, the
snippet marks it, a facet narrows the results, and the hit opens the case."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.services import case_add_note
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_search_a_word_only_in_a_note_and_open_the_case(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    case = make_case(tenant, subject="VPN drops every hour")
    case_add_note(case=case, actor=agent.user, body="Looks like the okapi gateway again.",
                  is_public=False, now=NOW)
    make_case(tenant, subject="Unrelated printer trouble")

    log_in(page, agent)
    page.goto(f"{live_server.url}/inbox/cases")
    box = page.get_by_test_id("header-search")
    box.fill("okapi")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=okapi"))
    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(case.display_number)
    expect(hits.first.locator("mark")).to_have_text("okapi")
    expect(hits.first).to_contain_text("Internal note")

    page.get_by_test_id("facet-status").first.click()
    expect(page).to_have_url(re.compile(r"status%3Anew"))
    expect(page.get_by_test_id("search-hit")).to_have_count(1)

    page.get_by_test_id("search-hit").first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.display_number}$"))
    expect(page.locator("body")).to_contain_text("VPN drops every hour")


def test_a_case_number_in_the_box_opens_the_case(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    case = make_case(tenant, subject="Keyboard missing keys")
    log_in(page, agent)
    page.goto(f"{live_server.url}/inbox/cases")
    page.get_by_test_id("header-search").fill(f"#{case.number}")
    page.get_by_test_id("header-search").press("Enter")
    expect(page).to_have_url(re.compile(rf"/cases/{case.display_number}$"))
