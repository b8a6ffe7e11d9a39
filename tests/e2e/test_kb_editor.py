"""Writing an article in the browser: the editor's preview follows the typing (htmx), the
draft is saved, published from its page, and shows in the knowledge base's list."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.kb.models import Article, ArticleStatus, KbEvent, KbEventKind
from casedesk.kb.services import category_create
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn

pytestmark = pytest.mark.e2e


def test_write_an_article_watch_the_preview_publish_it_and_find_it_in_the_list(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, manager: Membership
) -> None:
    billing = category_create(tenant=tenant, name="Billing", now=NOW)
    category_create(tenant=tenant, name="Invoices", parent_id=billing.pk, now=NOW)

    log_in(page, manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    expect(page).to_have_url(re.compile(r"/kb/$"))
    expect(page.get_by_test_id("empty")).to_contain_text("No articles yet — write the first one")
    page.get_by_test_id("new-article").click()

    page.get_by_label("Title").fill("Download an invoice")
    page.get_by_label("Summary").fill("Where invoices are and how to get a PDF.")
    page.get_by_label("Category").select_option(label="Billing › Invoices")
    page.get_by_label("Tags").fill("billing, invoices")
    page.get_by_label("Visibility").select_option("public")
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("Nothing to preview yet")

    body = page.get_by_label("Body")
    body.fill("Open **Billing**, then <script>alert(1)</script>")
    expect(preview.locator("strong")).to_have_text("Billing")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text, not run
    body.press("End")
    body.type("\n\n- choose *Invoices*\n- click the PDF")
    expect(preview.locator("li")).to_have_count(2)
    expect(preview.locator("em")).to_have_text("Invoices")

    page.get_by_test_id("save-article").click()
    expect(page.get_by_text("Saved the draft “Download an invoice”.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Draft")
    expect(page.get_by_test_id("article-body").locator("li")).to_have_count(2)

    page.get_by_test_id("publish-article").click()
    expect(page.get_by_text("Published version 1.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Published")
    expect(page.get_by_test_id("public-link")).to_contain_text(
        f"/portal/{tenant.slug}/kb/download-an-invoice")
    article = Article.objects.get(tenant=tenant, title="Download an invoice")
    assert article.status == ArticleStatus.PUBLISHED and article.version == 1
    assert article.tags == ["billing", "invoices"]

    page.get_by_role("link", name="Knowledge base").first.click()
    row = page.locator(f"#article-{article.pk}")
    expect(row).to_contain_text("Download an invoice")
    expect(row).to_contain_text("Billing › Invoices")
    expect(row.get_by_test_id("status")).to_have_text("Published")

    # The search finds it, and the status filter narrows by itself (htmx).
    page.get_by_label("Search", exact=True).fill("invoice pdf")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(r"q=invoice(\+|%20)pdf"))
    expect(page.get_by_test_id("search-note")).to_contain_text("Best matches")
    expect(row).to_be_visible()
    page.get_by_label("Status").select_option("draft")
    expect(page.get_by_test_id("empty")).to_contain_text("No article matches “invoice pdf”")
    # Each search was one request, recorded once for the analytics' content gaps.
    searches = KbEvent.objects.filter(tenant=tenant, kind=KbEventKind.SEARCH)
    assert list(searches.order_by("pk").values_list("query", "results")) == [
        ("invoice pdf", 1), ("invoice pdf", 0)]
