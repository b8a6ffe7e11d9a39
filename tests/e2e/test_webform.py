"""The web-to-case form in a browser: suggestions appear while the subject is typed, the
honeypot stays out of sight, and a sent form lands on the thank-you page with the number of
the case it made (acknowledged in the outbox)."""

import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Case
from casedesk.kb.services import article_create, article_publish
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.portal.webform import MIN_FILL_SECONDS
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW

pytestmark = pytest.mark.e2e


def test_fill_the_form_see_suggestions_and_get_a_case_number(
    page: Page, live_server: Any, tenant: Tenant
) -> None:
    article = article_create(tenant=tenant, author=None, title="Reset your password",
                             body="Choose **Forgot password**.", visibility="public", now=NOW)
    article_publish(article=article, actor=None, now=NOW)
    page.goto(f"{live_server.url}/portal/{tenant.slug}/new")
    drawn = time.monotonic()
    # The honeypot is in the form but out of sight: the stylesheet moves it off the page.
    box = page.locator("input[name=website]").bounding_box()
    assert box is not None and box["x"] + box["width"] < 0
    page.get_by_label("Name").fill("Carla Customer")
    page.get_by_label("Email").fill("carla@example.com")
    page.get_by_label("Subject").fill("Forgot my password")
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_have_text("Reset your password")
    expect(suggestion).to_have_attribute("href", f"/portal/{tenant.slug}/kb/{article.slug}")
    page.get_by_label("How can we help?").fill("The reset mail never comes.")
    time.sleep(max(0.0, MIN_FILL_SECONDS + 0.5 - (time.monotonic() - drawn)))
    page.get_by_test_id("webform-submit").click()
    expect(page.get_by_test_id("webform-thanks")).to_be_visible()
    case = Case.objects.get(tenant=tenant)
    expect(page.get_by_test_id("case-number")).to_have_text(case.display_number)
    assert case.source == "web" and case.contact is not None
    assert OutboundMail.objects.filter(case=case, kind=OutboundKind.ACKNOWLEDGEMENT).exists()
