"""The SMTP listener with a real peer: Python's smtplib sending to it on loopback."""

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from casedesk.cases.models import Case
from casedesk.mail.listener import Handler
from casedesk.mail.models import InboundMessage
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Tenant
from tests.mail.peers import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtpd() -> Iterator[int]:
    with smtp_server(Handler()) as port:
        yield port


def message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Jo <jo@customer.example>"
    msg["To"] = to
    msg["Subject"] = "Invoice is wrong"
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content("The VAT is wrong on invoice 42.")
    return msg


def test_mail_for_a_tenant_address_becomes_a_case(tenant, smtpd) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(mail_address="help@acme.test")
    with smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as client:
        refused = client.send_message(message("help@acme.test"))
    assert refused == {}
    case = Case.objects.get(tenant=tenant)
    assert case.subject == "Invoice is wrong" and case.source == "email"
    assert InboundMessage.objects.get().channel == "smtp"


def test_a_queue_address_puts_the_case_in_that_queue(tenant, smtpd) -> None:
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    Queue.objects.filter(pk=finance.pk).update(email="billing@acme.test")
    with smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as client:
        client.send_message(message("billing@acme.test"))
    assert Case.objects.get(tenant=tenant).queue_id == finance.pk


def test_unknown_recipients_are_refused_at_rcpt(tenant, smtpd) -> None:
    with (smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as client,
          pytest.raises(smtplib.SMTPRecipientsRefused) as refused):
        client.send_message(message("nobody@elsewhere.test"))
    assert refused.value.recipients["nobody@elsewhere.test"][0] == 550
    assert not InboundMessage.objects.exists()
