"""The knowledge base on the case page, in a browser: the suggestions appear, an article opens
in place and its link goes into a public reply, "this article solved it" is counted, and the
analytics page shows the count."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn
from tests.factories import make_case

pytestmark = pytest.mark.e2e


def _published(tenant: Tenant, title: str, body: str, visibility: str = "public") -> Any:
    article = article_create(tenant=tenant, author=None, title=title, body=body,
                             visibility=visibility, now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def test_open_a_suggestion_use_it_mark_it_solved_and_see_it_counted(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, manager: Membership
) -> None:
    article = _published(tenant, "Reset your password",
                         "1. Open the sign-in page.\n2. Choose **Forgot password**.\n")
    _published(tenant, "Password rules for staff", "At least twelve characters.", "internal")
    _published(tenant, "Download an invoice", "Invoices are under Billing.")
    case = make_case(tenant, subject="Password reset email never arrives",
                     description="I asked for a password reset twice, nothing came.",
                     owner_id=manager.user_id)

    log_in(page, manager)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    suggestions = page.get_by_test_id("kb-suggestion")
    expect(suggestions.first).to_contain_text("Reset your password")
    expect(suggestions.first.get_by_test_id("kb-score")).to_have_text("100")
    expect(page.get_by_test_id("kb-suggestions")).not_to_contain_text("Download an invoice")

    suggestions.first.get_by_test_id("kb-open").click()
    reader = page.get_by_test_id("kb-reader")
    expect(reader).to_contain_text("Forgot password")
    reader.get_by_test_id("kb-insert-link").click()
    composer = page.get_by_test_id("composer")
    expect(composer).to_have_value(re.compile(
        rf"Reset your password: http://.+/portal/{tenant.slug}/kb/{article.slug}"))
    expect(page.locator('#composer input[value="public"]')).to_be_checked()

    reader.get_by_test_id("kb-solved").click()
    expect(page.get_by_test_id("kb-flash")).to_contain_text("solved this case")
    assert KbEvent.objects.filter(kind=KbEventKind.SUGGESTION_OPENED, case=case).count() == 1
    assert KbEvent.objects.filter(kind=KbEventKind.CASE_RESOLVED_BY_ARTICLE,
                                  case=case).count() == 1

    page.goto(f"{live_server.url}/kb/analytics")
    expect(page.get_by_test_id(f"opened-{article.pk}")).to_have_text("1")
    expect(page.get_by_test_id(f"solved-{article.pk}")).to_have_text("1")
    expect(page.get_by_test_id("total-solved")).to_have_text("1")


def test_the_panel_looks_again_when_the_subject_changes(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, manager: Membership
) -> None:
    _published(tenant, "Reset your password", "Choose Forgot password.")
    _published(tenant, "Download an invoice", "Invoices are under Billing.")
    case = make_case(tenant, subject="Password reset", owner_id=manager.user_id)

    log_in(page, manager)
    page.goto(f"{live_server.url}/cases/{case.display_number}")
    panel = page.get_by_test_id("kb-suggestions")
    expect(panel).to_contain_text("Reset your password")
    page.get_by_test_id("edit-subject").click()
    editor = page.locator("#case-header input[name=value]")
    editor.fill("Where can I download my invoice")
    editor.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("download my invoice")
    expect(panel.get_by_test_id("kb-suggestion").first).to_contain_text("Download an invoice")
