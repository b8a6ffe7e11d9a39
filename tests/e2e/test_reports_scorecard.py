"""The scorecard in a real browser, on the demo tenant's history (weeks of cases made through
the services, facts refreshed as the worker would): a manager signs in, reads the tiles,
opens a chart's data table, follows a tile to the case list and finds the cases behind it.
With CASEDESK_SCREENSHOTS=1 it takes the README's screenshot on the way
(docs/screenshot-scorecard.png); otherwise a run leaves the tree as it was."""

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.demo import content
from casedesk.demo.builder import demo_build
from casedesk.reports.models import CaseFact
from casedesk.reports.params import report_period
from casedesk.reports.scorecard import ReportFilters, scorecard
from casedesk.reports.scorecard_display import human_duration
from tests.conftest import NOW, Clock
from tests.e2e.conftest import TIMEOUT_MS

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-scorecard.png"
# Enough for six weeks of history a manager would recognise, yet a test of a minute.
CASES = 240
MAYA = content.STAFF[1]  # a manager


def sign_in(page: Page, url: str) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{url}/login/")
    page.get_by_label("Email").fill(MAYA.email)
    page.get_by_label("Password").fill(content.PASSWORDS[MAYA.role])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/inbox/cases$"))


def test_a_manager_reads_the_scorecard_and_finds_the_cases_behind_a_tile(
    page: Page, live_server: Any, clock: Clock
) -> None:
    tenant = demo_build(now=NOW, cases=CASES).tenant  # refreshes the facts at the end
    period = report_period(tenant, {}, NOW)  # the default: the last 30 days
    card = scorecard(tenant, period, ReportFilters())
    assert card.current.created > 50 and card.current.sla["first_response"].breached > 0

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/reports/scorecard$"))
    expect(page.get_by_test_id("report-period")).to_contain_text(period.label)

    # The tiles show the figures of the data layer.
    now = card.current
    expect(page.get_by_test_id("value-created")).to_have_text(f"{now.created:,}")
    expect(page.get_by_test_id("value-resolved")).to_have_text(f"{now.resolved:,}")
    expect(page.get_by_test_id("value-first_response_median")).to_have_text(
        human_duration(now.first_response.median))
    expect(page.get_by_test_id("value-resolution_p90")).to_have_text(
        human_duration(now.resolution.p90))
    fr = now.sla["first_response"]
    expect(page.get_by_test_id("tile-sla_first_response")).to_contain_text(
        f"{fr.breached:,} breached of {fr.met + fr.breached:,} due")

    # The charts are drawn, their tables folded away; one click opens a table.
    volume = page.locator("figure#volume")
    expect(volume.locator("canvas")).to_be_visible()
    table = volume.locator("table.chart-table")
    expect(table).to_be_hidden()
    if os.environ.get("CASEDESK_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOT))
    volume.get_by_text("Data as a table").click()
    expect(table).to_be_visible()
    first = card.days[0]
    expect(table.locator("tbody tr").first).to_contain_text(f"{first.day:%a %-d %b}")
    expect(table.locator("tbody tr").first.locator("td").first).to_have_text(
        str(first.created))

    # The breached first responses: the tile's link lists exactly those cases.
    breached = set(CaseFact.objects.filter(
        tenant=tenant, created_at__gte=period.start, created_at__lt=period.end,
        first_response_outcome="breached").values_list("number", flat=True))
    assert len(breached) <= 50  # one page of the case list
    page.get_by_test_id("tile-sla_first_response").click()
    expect(page).to_have_url(re.compile(r"/cases\?.*sla_result=first_response_breached"))
    rows = page.get_by_test_id("case-table").locator("tbody tr[id^=case-]")
    expect(rows).to_have_count(len(breached))
    shown = {int(row_id.removeprefix("case-")) for row_id in
             (rows.nth(i).get_attribute("id") or "" for i in range(rows.count()))}
    assert shown == breached
    expect(page.get_by_test_id("more-filters")).to_have_attribute("open", "")

    # The agent report, from the reports' own navigation.
    page.go_back()
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Agents").click()
    expect(page).to_have_url(re.compile(r"/reports/agents$"))
    expect(page.get_by_test_id("group-table")).to_contain_text(content.STAFF[3].name)
