"""A public reply's files go out with its mail as MIME attachments, through the real outbox and
delivery to a real SMTP server; an internal note's files never leave."""

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.models import NoteAttachment
from casedesk.mail.delivery import deliver_due
from casedesk.mail.ingest import ingest
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus
from tests.cases.test_attachments import PDF, PNG
from tests.conftest import NOW
from tests.mail.test_ingest import mail

MIN = timedelta(minutes=1)
CSV = "name,amount\nJürgen,12.50\n".encode()


def received(peer) -> list[EmailMessage]:
    return [email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for raw in peer.messages]


def test_a_public_replys_files_arrive_as_attachments(quiet_desk, agent, agent_api, peer,
                                                     clock) -> None:
    case = ingest(tenant=quiet_desk, raw=mail(), now=NOW).case
    number = case.display_number
    ids = []
    for name, content in (("screen.png", PNG), ("Rechnung März.pdf", PDF),
                          ("totals.csv", CSV)):
        response = agent_api.client.post(f"/api/v1/cases/{number}/attachments",
                                         {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    reply = agent_api.post(f"/cases/{number}/notes", {
        "body": "Here is the invoice and a screenshot.", "public": True,
        "attachment_ids": ids})
    assert reply.status_code == 201, reply.content
    assert deliver_due(NOW + MIN).sent == 1
    (message,) = received(peer)
    assert message["To"] == "jo@customer.example"
    assert "Here is the invoice" in message.get_body(("plain",)).get_content()
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(parts) == {"screen.png", "Rechnung März.pdf", "totals.csv"}
    assert parts["screen.png"].get_content_type() == "image/png"
    assert parts["screen.png"].get_payload(decode=True) == PNG
    assert parts["Rechnung März.pdf"].get_content_type() == "application/pdf"
    assert parts["Rechnung März.pdf"].get_payload(decode=True) == PDF
    assert parts["totals.csv"].get_payload(decode=True).replace(b"\r\n", b"\n") == CSV


def test_an_internal_notes_files_never_go_out(quiet_desk, agent, peer) -> None:
    case = ingest(tenant=quiet_desk, raw=mail(), now=NOW).case
    note_add_with_files(case=case, actor=agent.user, body="Internal: the customer's logs.",
                        is_public=False, now=NOW,
                        uploads=[SimpleUploadedFile("secret.pdf", PDF)])
    assert not OutboundMail.objects.filter(kind=OutboundKind.REPLY).exists()
    note_add_with_files(case=case, actor=agent.user, body="We are on it.", is_public=True,
                        now=NOW + MIN)
    assert deliver_due(NOW + 2 * MIN).sent == 1
    (message,) = received(peer)
    assert list(message.iter_attachments()) == []
    assert b"secret.pdf" not in peer.messages[0]


def test_a_file_missing_from_the_storage_is_retried_not_dropped(quiet_desk, agent,
                                                                peer) -> None:
    case = ingest(tenant=quiet_desk, raw=mail(), now=NOW).case
    note = note_add_with_files(case=case, actor=agent.user, body="Attached.", is_public=True,
                               now=NOW, uploads=[SimpleUploadedFile("a.png", PNG)])
    stored = NoteAttachment.objects.get(note=note)
    content = default_storage.open(stored.file.name).read()
    default_storage.delete(stored.file.name)
    report = deliver_due(NOW + MIN)
    assert report.sent == 0 and report.retrying == 1 and peer.messages == []
    row = OutboundMail.objects.get(note=note)
    assert row.status == OutboundStatus.PENDING and "a.png could not be read" in row.last_error
    default_storage.save(stored.file.name, SimpleUploadedFile("a.png", content))
    assert deliver_due(row.next_attempt_at).sent == 1
