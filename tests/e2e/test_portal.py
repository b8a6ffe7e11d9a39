"""The customers' portal in the browser: a customer asks for a sign-in link, opens it from
the outbox, signs in, finds their case with the agent's public answer (not the internal
note) and replies."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.cases.models import Note
from casedesk.cases.services import case_add_note
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.factories import ContactFactory, make_case
from tests.portal.helpers import link_token

pytestmark = pytest.mark.e2e


def test_a_customer_signs_in_by_mail_sees_their_case_and_replies(
    page: Page, live_server: Any, tenant: Tenant, agent: Membership,
    csp_violations: list[str],
) -> None:
    contact = ContactFactory(tenant=tenant, name="Jo Customer", email="jo@customer.example")
    case = make_case(tenant, subject="Invoice 42 is wrong", description="The VAT is wrong.",
                     contact_id=contact.pk, now=NOW)
    case_add_note(case=case, actor=agent.user, body="Internal: check with finance",
                  is_public=False, now=NOW)
    case_add_note(case=case, actor=agent.user, body="Which VAT rate did you expect?",
                  is_public=True, now=NOW)

    page.goto(f"{live_server.url}/portal/acme/")
    page.get_by_label("Your email address").fill("jo@customer.example")
    page.get_by_test_id("send-link").click()
    expect(page.get_by_test_id("sign-in-sent")).to_be_visible()

    page.goto(f"{live_server.url}/portal/acme/sign-in/{link_token(contact)}")
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("my-cases")).to_contain_text("Invoice 42 is wrong")
    page.get_by_role("link", name="Invoice 42 is wrong").click()

    conversation = page.get_by_test_id("conversation")
    expect(conversation).to_contain_text("Which VAT rate did you expect?")
    expect(conversation).not_to_contain_text("check with finance")
    page.get_by_label("Your reply").fill("20%, not 19%.")
    page.get_by_test_id("send-reply").click()
    expect(conversation).to_contain_text("20%, not 19%.")
    assert Note.objects.filter(case=case, author=None, body="20%, not 19%.",
                               is_public=True).exists()
    assert csp_violations == []
