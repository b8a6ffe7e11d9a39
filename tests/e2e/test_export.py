"""Exporting in the browser: the case list's CSV link carries the filters set on the page;
an admin watches a full export being made (the list polls itself) and downloads it."""

import csv
import io
import zipfile
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.core import clock
from casedesk.exporter.jobs import export_job_run
from casedesk.exporter.services import export_request
from casedesk.tenancy.models import Membership, Tenant
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def test_case_list_exports_what_the_filters_show(page: Page, live_server: Any, log_in: LogIn,
                                                 tenant: Tenant, agent: Membership) -> None:
    make_case(tenant, subject="Toner is low", priority=4)
    make_case(tenant, subject="Paper jam", priority=1)
    log_in(page, agent)
    page.goto(f"{live_server.url}/cases")
    page.get_by_label("Text").fill("toner")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#case-results")).not_to_contain_text("Paper jam")
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    text = path.read_text(encoding="utf-8-sig")
    assert [r["subject"] for r in csv.DictReader(io.StringIO(text))] == ["Toner is low"]


def test_admin_watches_a_full_export_and_downloads_it(page: Page, live_server: Any,
                                                      log_in: LogIn, tenant: Tenant,
                                                      admin: Membership) -> None:
    make_case(tenant, subject="In the archive")
    # Asked for while the worker is busy: the page shows it waiting and keeps looking.
    job = export_request(tenant=tenant, actor=admin.user, now=clock.now(), in_background=False)
    log_in(page, admin)
    page.get_by_role("link", name="Settings").click()
    page.get_by_test_id("export-link").click()
    row = page.locator(f"#export-{job.pk}")
    expect(row).to_contain_text("Queued")
    export_job_run(job.pk, clock.now())  # the worker gets to it
    download_link = row.get_by_test_id("export-download")
    expect(download_link).to_be_visible(timeout=10_000)
    with page.expect_download() as info:
        download_link.click()
    with zipfile.ZipFile(info.value.path()) as archive:
        assert "In the archive" in archive.read("data/cases/case.jsonl").decode()
        assert "manifest.json" in archive.namelist()
