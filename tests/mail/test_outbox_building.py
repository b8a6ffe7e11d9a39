"""A message that cannot be built fails alone (issue 10, security defect 4, the mail side):
every header is made one line when a message is built, and a message the mail library (or
the mailer's own address check) refuses is failed for good with its reason, before any
connection, without holding back another message or another tenant's mail."""

import email
import email.policy
from datetime import timedelta

import pytest

from casedesk.cases.models import Case, Participant
from casedesk.cases.services import case_add_note
from casedesk.mail.delivery import as_email, deliver_due, one_line
from casedesk.mail.ingest import ingest
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW
from tests.mail.test_ingest import mail

MIN = timedelta(minutes=1)


@pytest.fixture
def globex(other_tenant: Tenant) -> Tenant:
    """The other tenant, taking mail, with no acknowledgements (only replies go out)."""
    other_tenant.mail_address = "support@globex.test"
    other_tenant.mail_ack_enabled = False
    other_tenant.save(update_fields=["mail_address", "mail_ack_enabled"])
    return other_tenant


def reply_on(tenant: Tenant, author, *, sender: str, at, body: str = "Answer.") -> Case:
    case = ingest(tenant=tenant, raw=mail(sender=sender, subject=f"From {sender}"), now=at).case
    case_add_note(case=case, actor=author, body=body, is_public=True, now=at)
    return case


def replies(tenant: Tenant):
    return OutboundMail.objects.filter(tenant=tenant, kind=OutboundKind.REPLY).order_by("pk")


def received(peer) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default)
            for raw in peer.messages]


def test_header_values_are_made_one_line() -> None:
    assert one_line("Printer\r\nBcc: eve@evil.example") == "Printer Bcc: eve@evil.example"
    assert one_line("  a\tb\x00c\x85d\u2028e  ") == "a b c d e"


def test_a_reply_on_a_case_whose_subject_has_a_line_break_goes_out_on_one_line(
        quiet_desk, agent, peer) -> None:
    case = ingest(tenant=quiet_desk, raw=mail(), now=NOW).case
    # A subject stored before subjects were kept to one line.
    Case.objects.filter(pk=case.pk).update(subject="Printer\r\nBcc: eve@evil.example")
    case.refresh_from_db()
    case_add_note(case=case, actor=agent.user, body="On it.", is_public=True, now=NOW)
    row = replies(quiet_desk).get()
    assert "\n" not in row.subject and "\r" not in row.subject
    # And a row written with one already (by an older version) is built on one line too.
    OutboundMail.objects.filter(pk=row.pk).update(subject="Re: x\r\nBcc: eve@evil.example")
    report = deliver_due(NOW + MIN)
    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    [sent] = received(peer)
    assert sent["Subject"] == "Re: x Bcc: eve@evil.example"
    assert sent["Bcc"] is None
    assert replies(quiet_desk).get().status == OutboundStatus.SENT


def test_a_message_that_cannot_be_built_fails_alone_and_holds_back_no_tenant(
        quiet_desk, globex, agent, outsider, peer) -> None:
    # Three replies in one tenant copy an address the mail server can never be given (a
    # non-ASCII local part, for a server without SMTPUTF8) …
    for i in range(3):
        case = ingest(tenant=quiet_desk, raw=mail(subject=f"Problem {i}"), now=NOW).case
        Participant.objects.create(tenant_id=quiet_desk.pk, case=case,
                                   email="jö@customer.example", created_at=NOW)
        case_add_note(case=case, actor=agent.user, body=f"Answer {i}.", is_public=True, now=NOW)
    # … and another tenant's reply is written after them.
    reply_on(globex, outsider.user, sender="kim@other.example", at=NOW + MIN)
    report = deliver_due(NOW + 2 * MIN)
    assert (report.sent, report.failed, report.retrying) == (1, 3, 0)
    assert [m["To"] for m in received(peer)] == ["kim@other.example"]
    assert replies(globex).get().status == OutboundStatus.SENT
    for row in replies(quiet_desk):
        assert row.status == OutboundStatus.FAILED
        assert row.last_error.startswith("This message cannot be built")
        assert "jö@customer.example" in row.last_error
    # Failed for good: the next runs never claim them again, and later mail goes at once.
    reply_on(quiet_desk, agent.user, sender="lee@customer.example", at=NOW + 3 * MIN)
    report = deliver_due(NOW + 4 * MIN)
    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    assert deliver_due(NOW + timedelta(days=1)).summary() == "0 sent, 0 to retry, 0 failed for good"


def test_a_message_the_mail_library_cannot_encode_fails_alone(quiet_desk, agent,
                                                              peer) -> None:
    first = reply_on(quiet_desk, agent.user, sender="jo@customer.example", at=NOW)
    reply_on(quiet_desk, agent.user, sender="kim@other.example", at=NOW)
    broken = replies(quiet_desk).get(case=first)
    # An address the mail library cannot even parse into a header.
    OutboundMail.objects.filter(pk=broken.pk).update(to=["x@[1.2.3"], recipient="x@[1.2.3")
    with pytest.raises(Exception):  # noqa: B017 - whatever the library raises, it raises
        as_email(OutboundMail.objects.get(pk=broken.pk)).message().as_bytes()
    report = deliver_due(NOW + MIN)
    assert (report.sent, report.failed) == (1, 1)
    assert OutboundMail.objects.get(pk=broken.pk).status == OutboundStatus.FAILED
    assert [m["To"] for m in received(peer)] == ["kim@other.example"]
