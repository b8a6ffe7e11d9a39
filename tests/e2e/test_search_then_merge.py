"""The issue's walk through: search for a word that is only in an internal note, open the case
it finds, and merge a duplicate into it."""

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


def test_search_a_note_open_the_case_and_merge_a_duplicate(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    target = make_case(tenant, subject="Badge reader rejects everyone")
    case_add_note(case=target, actor=agent.user, body="Firmware quokka-7 is on the reader.",
                  is_public=False, now=NOW)
    duplicate = make_case(tenant, subject="Cannot get into the building")
    case_add_note(case=duplicate, actor=agent.user, body="Front door reader blinks red.",
                  is_public=False, now=NOW)

    log_in(page, agent)
    page.goto(f"{live_server.url}/inbox/cases")
    box = page.get_by_test_id("header-search")
    box.fill("quokka")
    box.press("Enter")
    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(target.display_number)
    expect(hits.first.locator("mark")).to_contain_text("quokka")
    hits.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/cases/{target.display_number}$"))

    page.get_by_test_id("merge-open").click()
    page.get_by_label("Case numbers").fill(duplicate.display_number)
    page.get_by_test_id("merge-preview-button").click()
    expect(page.get_by_test_id("merge-confirm")).to_contain_text(duplicate.display_number)
    page.get_by_test_id("merge-confirm-button").click()

    expect(page).to_have_url(re.compile(rf"/cases/{target.display_number}$"))
    expect(page.get_by_test_id("timeline")).to_contain_text("Front door reader blinks red.")
    expect(page.get_by_test_id("merge-banner")).to_contain_text(
        f"{duplicate.display_number} merged into this case")
    merged = Case.objects.get(pk=duplicate.pk)
    assert merged.merged_into_id == target.pk
    assert merged.status == "closed" and merged.closed_reason == "Duplicate"
