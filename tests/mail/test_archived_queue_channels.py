"""A queue archived since customers learnt its address or an admin pointed a mailbox at it:
every channel still takes its mail in (no bounce) and routing files it; a mailbox cannot be
given an archived queue, but one that has it already keeps working and saves unchanged."""

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from django.core.management import call_command

from casedesk.cases.models import Case
from casedesk.mail.imap import poll_mailbox
from casedesk.mail.listener import Handler
from casedesk.mail.mailboxes import mailbox_create, mailbox_update
from casedesk.mail.models import InboundMessage, InboundStatus, Mailbox
from casedesk.routing.models import Queue
from casedesk.routing.queues import queue_archive, queue_update
from casedesk.tenancy.models import Tenant
from tests.api_checks import error
from tests.conftest import NOW, login
from tests.mail.peers import smtp_server
from tests.mail.test_imap import (
    Server,
    make_mailbox,
    server,  # noqa: F401 - the fixture: a private Dovecot
)
from tests.mail.test_imap import mail as imap_mail

BILLING = "billing@acme.test"
BOXES = "/mail/mailboxes"


def message(to: str = BILLING) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Jo <jo@customer.example>"
    msg["To"] = to
    msg["Subject"] = "Invoice is wrong"
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content("The VAT is wrong on invoice 42.")
    return msg


def archived_billing(tenant: Tenant) -> Queue:
    """Finance, fed by its own address, then archived (as the admin would)."""
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    queue_update(queue=finance, changes={"email": BILLING})
    return queue_archive(queue=finance)


def routed_past(case: Case, archived: Queue) -> None:
    """The case went where routing put it: an active queue, not the archived one."""
    assert case.queue is not None and case.queue_id != archived.pk
    assert case.queue.is_active


# --- the channels -----------------------------------------------------------------------------

@pytest.fixture
def smtpd() -> Iterator[int]:
    with smtp_server(Handler()) as port:
        yield port


@pytest.mark.django_db(transaction=True)
def test_the_listener_takes_mail_for_an_archived_queue_and_routing_files_it(tenant,
                                                                          smtpd) -> None:
    finance = archived_billing(tenant)
    with smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as client:
        refused = client.send_message(message())
    assert refused == {}
    stored = InboundMessage.objects.get(tenant=tenant)
    assert (stored.channel, stored.status) == ("smtp", InboundStatus.PROCESSED)
    assert stored.queue_id == finance.pk  # what it was addressed to, kept on the message
    routed_past(Case.objects.get(tenant=tenant), finance)


@pytest.mark.django_db(transaction=True)
def test_an_archived_queues_address_takes_mail_for_its_own_tenant_only(tenant, other_tenant,
                                                                       smtpd) -> None:
    finance = archived_billing(other_tenant)
    with smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as client:
        client.send_message(message())
    assert not Case.objects.filter(tenant=tenant).exists()
    routed_past(Case.objects.get(tenant=other_tenant), finance)


@pytest.mark.django_db(transaction=True)
def test_unknown_recipients_are_still_refused_at_rcpt(tenant, smtpd) -> None:
    archived_billing(tenant)
    with (smtplib.SMTP("127.0.0.1", smtpd, timeout=10) as client,
          pytest.raises(smtplib.SMTPRecipientsRefused) as refused):
        client.send_message(message("finance@acme.test"))
    assert refused.value.recipients["finance@acme.test"][0] == 550
    assert not InboundMessage.objects.exists()


def test_the_pipe_takes_mail_for_an_archived_queue(tenant, tmp_path, capsys) -> None:
    finance = archived_billing(tenant)
    path = tmp_path / "billing.eml"
    path.write_bytes(bytes(message()))
    call_command("ingest_email", "--tenant", "acme", str(path))  # exit 0: no SystemExit
    assert "new case CS-" in capsys.readouterr().out
    routed_past(Case.objects.get(tenant=tenant), finance)


def test_a_mailbox_whose_queue_was_archived_still_polls_and_routing_files(tenant,
                                                                         request) -> None:
    dovecot: Server = request.getfixturevalue("server")
    user = dovecot.add_user()
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    box = make_mailbox(tenant, dovecot, user, queue=finance)
    queue_archive(queue=finance)
    dovecot.append(user, imap_mail())

    result = poll_mailbox(box, now=NOW)

    assert (result.taken, result.quarantined, result.errors) == (1, 0, [])
    routed_past(Case.objects.get(tenant=tenant), finance)
    assert "\\Seen" in dovecot.messages(user)[0][1]


# --- a mailbox's queue: the service and the API -----------------------------------------------

def box_values(**fields: Any) -> dict[str, Any]:
    return {"name": "Billing inbox", "host": "imap.example.com",
            "username": "billing@acme.test", "password": "pw-imap", **fields}


@pytest.fixture
def finance_box(tenant: Tenant) -> Mailbox:
    """A mailbox feeding Finance, which was archived after it was set up."""
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    box = mailbox_create(tenant=tenant, values=box_values(queue_id=finance.pk), now=NOW)
    queue_archive(queue=finance)
    return box


def test_an_archived_queue_cannot_be_chosen(tenant, admin_api, finance_box) -> None:
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    support = Queue.objects.get(tenant=tenant, name="Support")
    error(admin_api.post(BOXES, box_values(name="Second", queue_id=finance.pk)), 422,
          field="queue_id", mentions=("archived", "Finance"))
    assert Mailbox.objects.count() == 1
    path = f"{BOXES}/{finance_box.pk}"
    assert admin_api.patch(path, {"queue_id": support.pk}).status_code == 200
    # Once it has left the archived queue, it cannot go back to it.
    error(admin_api.patch(path, {"queue_id": finance.pk}), 422, field="queue_id",
          mentions=("archived",))
    assert Mailbox.objects.get().queue_id == support.pk


def test_a_mailbox_keeps_the_queue_archived_under_it(tenant, admin_api, finance_box) -> None:
    finance = Queue.objects.get(tenant=tenant, name="Finance")
    path = f"{BOXES}/{finance_box.pk}"
    answer = admin_api.patch(path, {"poll_seconds": 300, "queue_id": finance.pk})
    assert answer.status_code == 200, answer.content
    assert answer.json()["queue"]["id"] == finance.pk
    box = mailbox_update(mailbox=Mailbox.objects.get(), changes={"name": "Old billing"})
    assert (box.queue_id, box.poll_seconds, box.name) == (finance.pk, 300, "Old billing")
    assert admin_api.patch(path, {"queue_id": None}).json()["queue"] is None


def test_another_tenants_archived_queue_is_no_queue_here(tenant, other_tenant,
                                                          admin_api) -> None:
    theirs = archived_billing(other_tenant)
    error(admin_api.post(BOXES, box_values(queue_id=theirs.pk)), 422, field="queue_id",
          mentions=(f"No queue with id {theirs.pk}",))


# --- a mailbox's queue: the form --------------------------------------------------------------

def form_data(**fields: str) -> dict[str, str]:
    return {"name": "Billing inbox", "host": "imap.example.com", "port": "993",
            "security": "ssl", "ca_certificate": "", "username": "billing@acme.test",
            "password": "pw-imap", "folder": "INBOX", "processed_action": "flag",
            "move_to": "Processed", "queue": "", "poll_seconds": "60", "enabled": "on", **fields}


def queue_options(page: str) -> str:
    return page.split('name="queue"', 1)[1].split("</select>", 1)[0]


def test_the_new_mailbox_form_offers_only_active_queues(tenant, admin) -> None:
    finance = archived_billing(tenant)
    options = queue_options(login(admin).get("/mail/mailboxes/new").content.decode())
    assert "Support" in options and "Engineering" in options
    assert "Finance" not in options and f'value="{finance.pk}"' not in options


def test_choosing_an_archived_queue_is_refused_on_its_field(tenant, admin) -> None:
    finance = archived_billing(tenant)
    response = login(admin).post("/mail/mailboxes/new", form_data(queue=str(finance.pk)))
    assert response.status_code == 422
    assert "archived" in " ".join(response.context["form"].errors["queue"])
    assert not Mailbox.objects.exists()


def test_the_edit_page_marks_the_archived_queue_and_saves_unchanged(tenant, admin,
                                                                    finance_box) -> None:
    client = login(admin)
    path = f"/mail/mailboxes/{finance_box.pk}"
    options = queue_options(client.get(path).content.decode())
    assert f'value="{finance_box.queue_id}" selected>Finance (archived)</option>' in options
    # The active queues come first, the archived one last.
    assert options.index("Support") < options.index("Finance (archived)")
    response = client.post(path, form_data(queue=str(finance_box.queue_id), password="",
                                           poll_seconds="120"))
    assert response.status_code == 302
    box = Mailbox.objects.get()
    assert (box.queue_id, box.poll_seconds) == (finance_box.queue_id, 120)


def test_an_other_tenants_queue_is_no_choice(tenant, other_tenant, admin) -> None:
    theirs = Queue.objects.get(tenant=other_tenant, name="Support")
    response = login(admin).post("/mail/mailboxes/new", form_data(queue=str(theirs.pk)))
    assert response.status_code == 422
    assert response.context["form"].errors["queue"]
    assert not Mailbox.objects.exists()
