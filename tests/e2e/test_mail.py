"""Mail in the browser: a manager finds a quarantined message through the nav, reads why,
re-processes it after the parser learnt to read it, and lands on the case it made; an agent
answers that case publicly and sees the reply go out to the customer."""

import re
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from casedesk.mail.delivery import deliver_due
from casedesk.mail.ingest import store_raw
from casedesk.mail.models import InboundStatus, OutboundKind, OutboundMail
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.e2e.conftest import LogIn, Settle

pytestmark = pytest.mark.e2e


def customer_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jo Customer <jo@customer.example>"
    msg["To"] = "support@acme.test"
    msg["Subject"] = "Invoice 42 is wrong"
    msg["Message-ID"] = "<invoice-42@customer.example>"
    msg.set_content("The VAT rate on invoice 42 is wrong.")
    return bytes(msg)


def test_a_manager_reprocesses_a_quarantined_message_and_an_agent_answers_it(
    page: Page, live_server: Any, log_in: LogIn, tenant: Tenant, manager: Membership,
    agent: Membership, mailoutbox: list[Any], settle: Settle,
) -> None:
    tenant.mail_address = "support@acme.test"
    tenant.save(update_fields=["mail_address"])
    # How a message looks after a parser bug quarantined it: stored whole, with the reason.
    stored = store_raw(tenant=tenant, raw=customer_mail(), now=NOW, channel="smtp")
    stored.status = InboundStatus.QUARANTINED
    stored.error = "Parser failure: ValueError: an old bug"
    stored.save(update_fields=["status", "error"])

    log_in(page, manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Mail")).click()
    expect(page).to_have_url(re.compile(r"/mail/inbound"))
    row = page.get_by_test_id("inbound-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("inbound-error")).to_contain_text("an old bug")
    row.get_by_role("link").first.click()
    page.get_by_test_id("reprocess").click()
    case_link = page.get_by_test_id("inbound-case").get_by_role("link")
    expect(case_link).to_contain_text("Invoice 42 is wrong")
    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED
    number = stored.case.display_number

    page.context.clear_cookies()
    log_in(page, agent)
    page.goto(f"{live_server.url}/cases/{number}")
    expect(page.get_by_role("heading", name=re.compile("Invoice 42 is wrong"))).to_be_visible()
    settle(page)
    composer = page.locator("#composer")
    composer.get_by_label("Public reply").check()
    page.get_by_test_id("composer").fill("We have corrected the VAT rate.")
    composer.get_by_role("button", name="Send reply").click()
    expect(page.get_by_test_id("timeline").get_by_text("We have corrected the VAT rate.")
           ).to_be_visible()

    reply = OutboundMail.objects.get(kind=OutboundKind.REPLY)
    assert reply.to == ["jo@customer.example"]
    assert reply.in_reply_to == "invoice-42@customer.example"
    # The reply's commit woke a delivery task (inline in tests); whatever it left, this sends.
    deliver_due(reply.next_attempt_at)
    sent = [m for m in mailoutbox if m.subject == f"Re: [{number}] Invoice 42 is wrong"]
    assert len(sent) == 1 and "We have corrected the VAT rate." in sent[0].body
