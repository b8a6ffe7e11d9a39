"""Merging from the case page: open a case, merge a duplicate into it, see the duplicate's
note on the target, the banner with Undo, and the old number leading to the target."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.cases.services import case_add_note
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_merge_a_duplicate_into_the_case(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    target = make_case(tenant, subject="Printer on fire", owner_id=agent.user_id)
    duplicate = make_case(tenant, subject="Printer burning in room 4")
    case_add_note(case=duplicate, actor=agent.user, body="The toner smells of smoke.",
                  is_public=False, now=NOW)

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{target.display_number}")
    page.get_by_test_id("merge-open").click()
    page.get_by_label("Case numbers").fill(duplicate.display_number)
    page.get_by_test_id("merge-preview-button").click()

    confirm = page.get_by_test_id("merge-confirm")
    expect(confirm).to_contain_text(duplicate.display_number)
    expect(confirm).to_contain_text("1 note")
    page.get_by_test_id("merge-confirm-button").click()

    expect(page).to_have_url(re.compile(rf"/cases/{target.display_number}$"))
    expect(page.get_by_test_id("timeline")).to_contain_text("The toner smells of smoke.")
    banner = page.get_by_test_id("merge-banner")
    expect(banner).to_contain_text(f"{duplicate.display_number} merged into this case")
    expect(page.get_by_test_id("merge-undo")).to_be_visible()
    assert Case.objects.get(pk=duplicate.pk).merged_into_id == target.pk

    page.goto(f"{live_server.url}/cases/{duplicate.display_number}")
    expect(page).to_have_url(re.compile(rf"/cases/{target.display_number}$"))
    expect(page.get_by_text(f"{duplicate.display_number} was merged into "
                            f"{target.display_number}.")).to_be_visible()
