"""Email to case through the one ingestion function: new cases, threading by headers and by
token, strangers, redelivery, closed cases, automatic mail, quarantine, and the pipe command
with the exit codes MTAs expect."""

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from casedesk.cases.models import Case, EventKind, Note, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.crm.models import Account, Contact
from casedesk.mail.ingest import ingest
from casedesk.mail.models import Attachment, InboundMessage, InboundStatus
from casedesk.tenancy.models import Tenant
from tests.conftest import NOW

H = timedelta(hours=1)


def mail(subject="Printer is on fire", body="Hello,\nour printer is on fire.\n",
         sender="Jo Customer <jo@customer.example>", in_reply_to=None, references=None,
         message_id=None, **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@acme.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example")
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0000"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def test_a_new_mail_makes_a_case_with_a_new_contact(tenant) -> None:
    result = ingest(tenant=tenant, raw=mail(), now=NOW)
    assert result.status == "processed" and result.created
    case = result.case
    assert case.subject == "Printer is on fire"
    assert case.source == "email"
    assert "our printer is on fire" in case.description
    contact = Contact.objects.get(tenant=tenant, email="jo@customer.example")
    assert case.contact == contact and contact.name == "Jo Customer"
    assert case.queue is not None  # routed like any other case
    stored = InboundMessage.objects.get()
    assert stored.status == InboundStatus.PROCESSED and stored.case == case


def test_the_raw_message_is_stored_exactly(tenant) -> None:
    raw = mail()
    ingest(tenant=tenant, raw=raw, now=NOW)
    assert bytes(InboundMessage.objects.get().raw) == raw


def test_a_reply_threads_by_its_headers_and_moves_the_case(tenant) -> None:
    first_id = make_msgid(domain="customer.example")
    case = ingest(tenant=tenant, raw=mail(message_id=first_id), now=NOW).case
    for to in ("open", "in_progress", "pending_customer"):
        case = case_transition(case=case, actor=None, to=to, note="n", now=NOW)
    reply = mail(subject="Re: Printer is on fire", body="Still burning.\n\n> Hello\n",
                 in_reply_to=first_id, references=first_id)
    result = ingest(tenant=tenant, raw=reply, now=NOW + H)
    assert result.status == "processed" and not result.created and result.case == case
    case.refresh_from_db()
    assert case.status == "in_progress"
    note = Note.objects.get(case=case, author_email="jo@customer.example")
    assert note.is_public and note.body.startswith("Still burning.")
    assert Case.objects.count() == 1


def test_the_case_token_threads_only_for_participants(tenant) -> None:
    case = ingest(tenant=tenant, raw=mail(), now=NOW).case
    token = f"Re: [{case.display_number}] Printer"
    by_jo = ingest(tenant=tenant, raw=mail(subject=token), now=NOW + H)
    assert by_jo.case == case and not by_jo.created
    stranger = ingest(tenant=tenant, raw=mail(subject=token, sender="eve@evil.example"),
                      now=NOW + H)
    assert stranger.created and stranger.case != case


def test_the_same_subject_alone_never_threads(tenant) -> None:
    first = ingest(tenant=tenant, raw=mail(), now=NOW).case
    second = ingest(tenant=tenant, raw=mail(), now=NOW + H).case
    assert first != second


def test_a_redelivered_message_makes_one_case(tenant) -> None:
    raw = mail()
    first = ingest(tenant=tenant, raw=raw, now=NOW)
    again = ingest(tenant=tenant, raw=raw, now=NOW + H)
    assert again.status == "duplicate" and again.case == first.case
    assert Case.objects.count() == 1
    assert InboundMessage.objects.count() == 2  # both deliveries are kept


def test_a_reply_to_a_case_closed_past_its_window_makes_a_linked_follow_up(tenant) -> None:
    first_id = make_msgid(domain="customer.example")
    case = ingest(tenant=tenant, raw=mail(message_id=first_id), now=NOW).case
    for to in ("open", "in_progress", "resolved", "closed"):
        case = case_transition(case=case, actor=None, to=to, note="n", now=NOW,
                               closed_reason="Resolved")
    late = ingest(tenant=tenant, raw=mail(subject="Re: x", in_reply_to=first_id),
                  now=NOW + 7 * H)
    assert late.created and late.case.follow_up_of == case
    case.refresh_from_db()
    assert case.status == "closed"
    soon = ingest(tenant=tenant, raw=mail(subject="Re: y", in_reply_to=first_id),
                  now=NOW + H)  # inside the six-hour window: re-opens
    assert soon.case == case and Case.objects.get(pk=case.pk).status == "open"


def test_an_auto_reply_is_recorded_but_moves_nothing(tenant) -> None:
    first_id = make_msgid(domain="customer.example")
    case = ingest(tenant=tenant, raw=mail(message_id=first_id), now=NOW).case
    for to in ("open", "in_progress", "pending_customer"):
        case = case_transition(case=case, actor=None, to=to, note="n", now=NOW)
    ooo = mail(subject="Out of office", in_reply_to=first_id, Auto_Submitted="auto-replied")
    result = ingest(tenant=tenant, raw=ooo, now=NOW + H)
    assert result.case == case
    assert Case.objects.get(pk=case.pk).status == "pending_customer"
    event = TimelineEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_REPLIED).last()
    assert "automatic" in event.message


def test_an_unreadable_message_is_quarantined_not_lost(tenant) -> None:
    result = ingest(tenant=tenant, raw=b"\x00\x01\x02 not mail at all \xff\xfe", now=NOW)
    assert result.status == "quarantined"
    stored = InboundMessage.objects.get()
    assert stored.status == InboundStatus.QUARANTINED and stored.error
    assert bytes(stored.raw).startswith(b"\x00\x01")
    assert not Case.objects.exists()


def test_attachments_are_kept_and_oversized_mail_keeps_its_text(tenant) -> None:
    msg = EmailMessage()
    msg["From"] = "jo@customer.example"
    msg["Subject"] = "Logs"
    msg["Message-ID"] = make_msgid()
    msg.set_content("See attached.")
    msg.add_attachment(b"x" * 1000, maintype="application", subtype="octet-stream",
                       filename="../../etc/passwd")
    case = ingest(tenant=tenant, raw=bytes(msg), now=NOW).case
    attachment = Attachment.objects.get(case=case)
    assert "/" not in attachment.filename and attachment.size == 1000
    assert attachment.file.read() == b"x" * 1000
    Tenant.objects.filter(pk=tenant.pk).update(mail_max_bytes=500)
    tenant.refresh_from_db()
    msg.replace_header("Message-ID", make_msgid())
    big = ingest(tenant=tenant, raw=bytes(msg), now=NOW).case
    assert "attachments were not kept" in big.description
    assert Attachment.objects.get(case=big).dropped


def test_account_by_domain_when_the_tenant_asks(tenant) -> None:
    acme = Account.objects.create(tenant=tenant, name="Customer Inc", domain="customer.example")
    assert ingest(tenant=tenant, raw=mail(), now=NOW).case.account is None
    Tenant.objects.filter(pk=tenant.pk).update(mail_match_account_by_domain=True)
    tenant.refresh_from_db()
    case = ingest(tenant=tenant, raw=mail(sender="ann@customer.example"), now=NOW).case
    assert case.account == acme


def test_the_pipe_command_exit_codes(tenant, tmp_path, capsys) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(mail())
    call_command("ingest_email", "--tenant", "acme", str(good))
    assert "new case CS-" in capsys.readouterr().out
    bad = tmp_path / "bad.eml"
    bad.write_bytes(b"\x00\x01\x02\xff")
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest_email", "--tenant", "acme", str(bad))
    assert exit_.value.code == 65
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest_email", "--tenant", "nope", str(good))
    assert exit_.value.code == 64


@pytest.mark.django_db(transaction=True)
def test_the_pipe_command_says_tempfail_when_the_database_is_gone(tmp_path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(mail())
    env_db = "postgres://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        [sys.executable, "-m", "casedesk", "ingest_email", "--tenant", "acme", str(good)],
        env={"DATABASE_URL": env_db, "PATH": "/usr/bin:/bin", "CASEDESK_VAR_DIR": str(tmp_path)},
        capture_output=True, timeout=60)
    assert done.returncode == 75, done.stderr


def test_a_message_stored_but_never_read_is_filed_by_the_recovery(tenant) -> None:
    from casedesk.mail.ingest import STUCK_AFTER, process_stuck, store_raw

    stored = store_raw(tenant=tenant, raw=mail(), now=NOW, channel="smtp")
    assert process_stuck(NOW + STUCK_AFTER / 2) == 0  # it may still be being read
    assert process_stuck(NOW + STUCK_AFTER * 2) == 1
    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED and stored.case is not None
    assert process_stuck(NOW + STUCK_AFTER * 3) == 0


def test_an_mbox_is_taken_in_batch_mode(tenant, tmp_path, capsys) -> None:
    import mailbox

    path = tmp_path / "import.mbox"
    box = mailbox.mbox(str(path))
    first_id = make_msgid(domain="customer.example")
    box.add(mail(message_id=first_id))
    box.add(mail(subject="Re: Printer is on fire", in_reply_to=first_id, body="From Jo again"))
    box.add(mail(subject="Another one", sender="kim@other.example"))
    box.add(mail(message_id=first_id))  # the same message twice in the export
    box.flush()
    call_command("ingest_email", "--tenant", "acme", "--mbox", str(path), "--batch-size", "3")
    assert capsys.readouterr().out.strip() == "1 duplicate, 3 processed"
    assert Case.objects.filter(tenant=tenant).count() == 2
    assert Note.objects.filter(body__contains="From Jo again").count() == 1
    with pytest.raises(SystemExit) as exit_:
        call_command("ingest_email", "--tenant", "acme", "--mbox", str(tmp_path / "none"))
    assert exit_.value.code == 66


def test_a_quarantined_message_still_says_who_sent_it_and_what_about(tenant) -> None:
    raw = (b"From: Jo <jo@customer.example>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
           b"X: \x00\r\n\r\nhi")
    result = ingest(tenant=tenant, raw=raw, now=NOW)
    assert result.status == InboundStatus.QUARANTINED
    assert (result.message.sender, result.message.subject) == ("jo@customer.example", "Grüße")


def test_a_message_keeps_the_queue_it_was_delivered_for(tenant) -> None:
    from casedesk.mail.ingest import process, store_raw
    from casedesk.routing.models import Queue

    finance = Queue.objects.get(tenant=tenant, name="Finance")
    stored = store_raw(tenant=tenant, raw=mail(), now=NOW, channel="smtp", queue_id=finance.pk)
    assert process(stored, now=NOW).case.queue == finance


CORPUS = Path(__file__).resolve().parent / "corpus" / "messages"


def test_the_whole_corpus_goes_through_the_pipe_command_and_nothing_is_lost(tenant) -> None:
    files = sorted(CORPUS.rglob("*.eml"))
    assert len(files) > 100
    codes = Counter()
    for path in files:
        try:
            call_command("ingest_email", "--tenant", "acme", str(path), stdout=StringIO(),
                         stderr=StringIO())
            codes[0] += 1
        except SystemExit as exit_:
            assert exit_.code == 65, path  # quarantined, never a crash
            codes[65] += 1
    stored = InboundMessage.objects.filter(tenant=tenant)
    assert stored.count() == len(files)
    assert not stored.filter(status=InboundStatus.RECEIVED).exists()
    assert sorted(bytes(m.raw) for m in stored) == sorted(p.read_bytes() for p in files)
    assert stored.filter(status=InboundStatus.QUARANTINED).count() == codes[65]


def test_the_whole_corpus_in_batch_mode_files_every_message(tenant) -> None:
    from casedesk.mail.ingest import ingest_batch

    raws = [p.read_bytes() for p in sorted(CORPUS.rglob("*.eml"))]
    results = ingest_batch(tenant=tenant, raws=raws, now=NOW)
    assert len(results) == len(raws)
    assert {r.status for r in results} <= {"processed", "duplicate", "quarantined"}
    assert all(r.case is not None for r in results if r.status != "quarantined")
