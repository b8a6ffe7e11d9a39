"""The SLA compliance report in the browser: a manager opens the list, makes the report of a
month that has ended, reads it, follows a worst offender to its case, and downloads the
PDF, which is opened and read."""

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from casedesk.cases.services import case_add_note
from casedesk.reports.compliance_job import compliance_generate
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def test_manager_makes_reads_and_downloads_the_report(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, manager: Membership,
    agent: Membership, clock: Clock, tmp_path: Path,
) -> None:
    answered = make_case(tenant, subject="Invoice question", now=MONDAY)
    case_add_note(case=answered, actor=agent.user, body="Hello.", is_public=True,
                  now=MONDAY.replace(hour=10))
    forgotten = make_case(tenant, subject="Zoë's printer is on fire", now=MONDAY)
    compliance_generate(tenant, date(2026, 9, 1), NOW)  # September, stored already

    log_in(page, manager)
    page.goto(f"{live_server.url}/reports/compliance")
    months = page.get_by_test_id("compliance-month")
    expect(months).to_have_count(1)
    expect(months.first).to_contain_text("September 2026")

    form = page.get_by_test_id("compliance-generate")
    form.get_by_label("Make the report of").select_option("2026-10")
    form.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/reports/compliance/2026-10$"))
    expect(page.get_by_role("status")).to_contain_text("The report for October 2026 was made.")
    expect(page.get_by_test_id("report-title")).to_have_text("SLA compliance, October 2026")

    first_response = page.get_by_test_id("total-row").filter(has_text="First response")
    expect(first_response).to_contain_text("50.0%")
    offenders = page.get_by_test_id("offender-row")
    expect(offenders.filter(has_text="Zoë's printer is on fire").first).to_contain_text(
        "First response, 8 h")
    trend = page.get_by_test_id("trend-row")
    expect(trend).to_have_count(7)
    expect(trend.last).to_contain_text("(this report)")
    expect(trend.filter(has=page.get_by_role("link", name="September 2026"))).to_have_count(1)

    with page.expect_download() as info:
        page.get_by_test_id("download-pdf").click()
    download = info.value
    assert download.suggested_filename == "sla-compliance-2026-10.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "SLA compliance, October 2026 — Acme Support" in text
    assert "Zoë's printer is on fire" in text
    assert "Worst offenders" in text and "Trend" in text

    offenders.filter(has_text="Zoë's printer is on fire").first.get_by_role(
        "link", name=forgotten.display_number).click()
    expect(page).to_have_url(re.compile(rf"/cases/{forgotten.display_number}$"))
