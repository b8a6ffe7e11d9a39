"""Filtering the case list: the filter form swaps the results in place (htmx) and keeps the
filters in the address bar."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.cases.services import case_transition
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def newest_first(*cases: Case) -> list[str]:
    """The case numbers as the list shows them (newest first)."""
    return [c.display_number for c in sorted(cases, key=lambda c: -c.number)]


def test_filter_the_case_list_by_status_and_priority(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, agent: Membership
) -> None:
    urgent_new = make_case(tenant, subject="Site down", priority=4)
    normal_new = make_case(tenant, subject="Typo on invoice")
    urgent_open = case_transition(
        case=make_case(tenant, subject="Data export fails", priority=4),
        actor=None,
        to="open",
        now=NOW,
    )
    low_open = case_transition(
        case=make_case(tenant, subject="Feature idea", priority=1), actor=None, to="open", now=NOW
    )

    log_in(page, agent)
    page.goto(f"{live_server.url}/cases")
    filters = page.locator("#filters")
    table = page.get_by_test_id("case-table")
    listed = table.locator("tbody td.num > a")  # the case numbers, in order
    expect(listed).to_have_text(newest_first(urgent_new, normal_new, urgent_open, low_open))

    filters.get_by_label("Status").select_option(["open"])
    expect(listed).to_have_text(newest_first(urgent_open, low_open))
    expect(page).to_have_url(re.compile(r"status=open"))
    expect(table.locator("tbody .pill")).to_have_text(["Open", "Open"])

    filters.get_by_label("Priority").select_option(["urgent"])
    expect(listed).to_have_text([urgent_open.display_number])
    expect(page).to_have_url(re.compile(r"priority=urgent"))
    expect(table).to_contain_text("Data export fails")

    filters.get_by_label("Status").select_option(["new"])
    expect(listed).to_have_text([urgent_new.display_number])

    filters.get_by_label("Status").select_option([])
    filters.get_by_label("Priority").select_option(["low"])
    expect(listed).to_have_text([low_open.display_number])

    filters.get_by_label("Priority").select_option(["high"])
    expect(table.locator("tbody")).to_contain_text("No cases match these filters.")

    # The filtered address is a real page: a reload shows the same list.
    filters.get_by_label("Priority").select_option(["low", "normal"])
    expect(listed).to_have_text(newest_first(normal_new, low_open))
    page.reload()
    expect(listed).to_have_text(newest_first(normal_new, low_open))
    expect(filters.get_by_label("Priority")).to_have_values(["normal", "low"])
