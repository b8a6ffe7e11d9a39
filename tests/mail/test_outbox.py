"""Mail out: agents' public replies and acknowledgements go through the outbox, carry headers
that thread the customer's answer back, and are delivered with retries to a real SMTP peer."""

import email
import email.policy
import socket
import threading
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

import pytest
from django.core import mail as django_mail

from casedesk.cases.models import Case, Participant
from casedesk.cases.services import case_add_note, case_transition
from casedesk.core.errors import Conflict, Invalid
from casedesk.mail.delivery import MAX_ATTEMPTS, STALE_CLAIM, claim_due, deliver_due
from casedesk.mail.ingest import ingest
from casedesk.mail.models import OutboundKind, OutboundMail, OutboundStatus, ThreadKey
from casedesk.mail.outbox import check_template, retry_now
from tests.conftest import NOW
from tests.mail.peers import free_port, smtp_mailer
from tests.mail.test_ingest import mail

MIN = timedelta(minutes=1)


@pytest.fixture
def desk(tenant):
    tenant.mail_address = "support@acme.test"
    tenant.save()
    return tenant


def new_case(desk, **kw) -> Case:
    return ingest(tenant=desk, raw=mail(**kw), now=NOW).case


def replies() -> Any:
    return OutboundMail.objects.filter(kind=OutboundKind.REPLY)


# --- what is queued ----------------------------------------------------------------------------

def test_a_public_reply_is_queued_with_headers_that_thread_back(desk, agent) -> None:
    first_id = make_msgid(domain="customer.example").strip("<>")
    case = new_case(desk, message_id=f"<{first_id}>")
    note = case_add_note(case=case, actor=agent.user, body="We sent a fire crew.",
                         is_public=True, now=NOW + MIN)
    out = replies().get()
    assert out.note == note and out.case == case
    assert out.to == ["jo@customer.example"] and out.recipient == "jo@customer.example"
    assert out.subject == f"Re: [{case.display_number}] Printer is on fire"
    assert out.in_reply_to == first_id
    assert f"<{first_id}>" in out.references
    assert out.from_address == "Acme Support <support@acme.test>"
    assert "We sent a fire crew." in out.body
    assert ThreadKey.objects.get(message_id=out.message_id).case == case
    assert out.status == OutboundStatus.PENDING and out.next_attempt_at == NOW + MIN


def test_internal_notes_and_customer_messages_are_not_mailed(desk, agent) -> None:
    case = new_case(desk)
    case_add_note(case=case, actor=agent.user, body="Internal only.", is_public=False, now=NOW)
    ingest(tenant=desk, raw=mail(subject=f"Re: [{case.display_number}] x", body="More."), now=NOW)
    assert not replies().exists()


def test_a_case_without_any_address_sends_nothing(desk, agent) -> None:
    case = Case.objects.create(tenant=desk, number=99, subject="Phone call", created_at=NOW,
                               updated_at=NOW)
    case_add_note(case=case, actor=agent.user, body="Called back.", is_public=True, now=NOW)
    assert not replies().exists()


def test_the_reply_comes_back_onto_the_same_case(desk, agent) -> None:
    case = new_case(desk)
    case_add_note(case=case, actor=agent.user, body="Try turning it off.", is_public=True,
                  now=NOW)
    out = replies().get()
    answer = mail(subject="Re: something else entirely", body="Done, thanks.",
                  in_reply_to=f"<{out.message_id}>")
    result = ingest(tenant=desk, raw=answer, now=NOW + MIN)
    assert result.case == case and not result.created


def test_people_copied_on_the_mail_become_participants_and_get_replies(desk, agent) -> None:
    raw = mail(Cc="Sam <sam@customer.example>, support@acme.test, jo@customer.example")
    case = ingest(tenant=desk, raw=raw, now=NOW).case
    assert list(Participant.objects.filter(case=case).values_list("email", flat=True)) == [
        "sam@customer.example"]
    case_add_note(case=case, actor=agent.user, body="On it.", is_public=True, now=NOW)
    out = replies().get()
    assert out.to == ["jo@customer.example"] and out.cc == ["sam@customer.example"]
    # Sam may now answer by the case token: a participant, not a stranger.
    answer = mail(sender="sam@customer.example", subject=f"Re: [{case.display_number}] hi",
                  body="Sam here.")
    assert ingest(tenant=desk, raw=answer, now=NOW + MIN).case == case


def test_an_api_public_reply_is_queued(desk, agent_api, agent) -> None:
    case = new_case(desk)
    response = agent_api.post(f"/cases/{case.display_number}/notes",
                              {"body": "Answer from the API.", "public": True})
    assert response.status_code == 201, response.content
    assert replies().get().body.startswith("Answer from the API.")


# --- acknowledgements --------------------------------------------------------------------------

def acks() -> Any:
    return OutboundMail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)


def test_a_new_case_from_mail_is_acknowledged(desk) -> None:
    case = new_case(desk)
    ack = acks().get()
    assert ack.case == case and ack.to == ["jo@customer.example"]
    assert ack.subject == f"[{case.display_number}] Printer is on fire"
    assert case.display_number in ack.body and "Jo Customer" in ack.body
    assert ack.in_reply_to == case.inbound_messages.get().message_id


def test_replies_on_a_case_and_automatic_mail_are_not_acknowledged(desk) -> None:
    case = new_case(desk)
    ingest(tenant=desk, raw=mail(subject=f"Re: [{case.display_number}] x"), now=NOW + MIN)
    ingest(tenant=desk, raw=mail(subject="Out of office", sender="ooo@else.example",
                                 Auto_Submitted="auto-replied"), now=NOW)
    ingest(tenant=desk, raw=mail(sender="list@else.example", Precedence="bulk"), now=NOW)
    assert acks().count() == 1


def test_acknowledgements_are_limited_per_sender_an_hour(desk) -> None:
    for i in range(5):
        new_case(desk, subject=f"Problem {i}")
    new_case(desk, subject="Someone else", sender="kim@other.example")
    assert acks().filter(recipient="jo@customer.example").count() == desk.mail_ack_per_hour == 3
    assert acks().filter(recipient="kim@other.example").count() == 1
    ingest(tenant=desk, raw=mail(subject="Later"), now=NOW + timedelta(hours=1, minutes=1))
    assert acks().filter(recipient="jo@customer.example").count() == 4


def test_the_tenant_writes_its_own_acknowledgement_or_none(desk) -> None:
    desk.mail_ack_template = "Thanks {{ contact.name }}: {{ case.display_number }} <b>{{ x }}"
    desk.save(update_fields=["mail_ack_template"])
    case = new_case(desk)
    assert acks().get().body == f"Thanks Jo Customer: {case.display_number} <b>"
    desk.mail_ack_enabled = False
    desk.save(update_fields=["mail_ack_enabled"])
    new_case(desk, sender="kim@other.example")
    assert acks().count() == 1


def test_a_template_that_does_not_compile_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        check_template("Hello {% if %}")
    assert refused.value.field == "mail_ack_template"
    check_template("Hello {{ case.subject }}")


# --- delivery ----------------------------------------------------------------------------------

def test_delivery_sends_with_the_threading_headers(desk, agent) -> None:
    case = new_case(desk)
    case_add_note(case=case, actor=agent.user, body="Reply.", is_public=True, now=NOW)
    report = deliver_due(NOW + MIN)
    assert report.sent == 2 and report.retrying == report.failed == 0
    sent = {m.subject: m for m in django_mail.outbox}
    reply = sent[f"Re: [{case.display_number}] Printer is on fire"]
    row = replies().get()
    message = reply.message()
    assert message["Message-ID"] == f"<{row.message_id}>"
    assert message["In-Reply-To"] == f"<{row.in_reply_to}>"
    assert message["Auto-Submitted"] == "no"
    ack = sent[f"[{case.display_number}] Printer is on fire"].message()
    assert ack["Auto-Submitted"] == "auto-replied"
    assert OutboundMail.objects.filter(status=OutboundStatus.SENT).count() == 2
    assert deliver_due(NOW + 2 * MIN).sent == 0  # nothing is sent twice


def test_a_claimed_message_is_not_claimed_again_until_the_claim_is_stale(desk) -> None:
    new_case(desk)
    assert len(claim_due(NOW)) == 1
    assert claim_due(NOW + MIN) == []
    again = claim_due(NOW + STALE_CLAIM + MIN)  # the worker that held it died
    assert len(again) == 1 and again[0].attempts == 2


# --- real SMTP peers ---------------------------------------------------------------------------

def test_replies_reach_a_real_smtp_server_and_its_answer_threads_back(desk, agent, peer) -> None:
    case = new_case(desk)
    case_add_note(case=case, actor=agent.user, body="Fixed it.", is_public=True, now=NOW)
    assert deliver_due(NOW + MIN).sent == 2
    received = [email.message_from_bytes(raw, policy=email.policy.default)
                for raw in peer.messages]
    reply = next(m for m in received if m["Subject"].startswith("Re:"))
    assert reply["To"] == "jo@customer.example"
    assert "Fixed it." in reply.get_content()
    # The customer's client answers with In-Reply-To and a quoted subject of its own.
    answer = mail(subject="AW: Re: fixed?", body="Works now.", in_reply_to=reply["Message-ID"])
    assert ingest(tenant=desk, raw=answer, now=NOW + 2 * MIN).case == case


def test_a_temporary_refusal_is_retried_with_backoff_then_given_up(desk, peer) -> None:
    peer.answer_data = "451 4.3.0 Try again later"
    new_case(desk)
    row = acks().get()
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_due(now)
        row.refresh_from_db()
        assert row.attempts == attempt and "Try again later" in row.last_error
        if attempt < MAX_ATTEMPTS:
            assert report.retrying == 1 and row.status == OutboundStatus.PENDING
            assert row.next_attempt_at > now
            assert deliver_due(row.next_attempt_at - timedelta(seconds=1)).retrying == 0
            now = row.next_attempt_at
    assert row.status == OutboundStatus.FAILED
    peer.answer_data = ""
    retry_now(row, now=now)
    assert deliver_due(now).sent == 1 and len(peer.messages) == 1


def test_a_permanent_refusal_fails_at_once_and_others_still_go(desk, peer) -> None:
    peer.answer_rcpt = "550 5.1.1 No such user"
    new_case(desk)
    assert deliver_due(NOW).failed == 1
    assert acks().get().status == OutboundStatus.FAILED
    assert acks().get().last_error == "jo@customer.example refused: 550 5.1.1 No such user"
    peer.answer_rcpt = ""
    new_case(desk, sender="kim@other.example")
    assert deliver_due(NOW).sent == 1


def test_sent_mail_cannot_be_sent_again_by_hand(desk, peer) -> None:
    new_case(desk)
    deliver_due(NOW)
    with pytest.raises(Conflict):
        retry_now(acks().get(), now=NOW)


def test_an_unreachable_server_costs_one_try_for_the_whole_batch(desk, settings) -> None:
    smtp_mailer(settings, free_port())  # nothing listens there
    for i in range(3):
        new_case(desk, sender=f"c{i}@customer.example")
    report = deliver_due(NOW)
    assert report.retrying == 1 and report.sent == 0
    rows = list(acks().order_by("pk"))
    assert [r.attempts for r in rows] == [1, 0, 0]
    assert "refused the connection" in rows[0].last_error
    assert {r.status for r in rows} == {OutboundStatus.PENDING}
    assert all(r.next_attempt_at > NOW for r in rows)


def test_a_hanging_server_times_out_instead_of_blocking(desk, settings) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    smtp_mailer(settings, listener.getsockname()[1], timeout=1)
    new_case(desk)
    try:
        report = deliver_due(NOW)
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
    assert report.retrying == 1
    assert "timed out" in acks().get().last_error.lower()


def test_the_sender_copied_on_their_own_mail_is_not_a_participant(desk) -> None:
    case = new_case(desk, Cc="JO@Customer.example")
    assert not Participant.objects.filter(case=case).exists()


def test_a_closed_case_past_its_window_acknowledges_the_follow_up(desk, agent) -> None:
    first_id = make_msgid(domain="customer.example")
    case = new_case(desk, message_id=first_id)
    for to in ("open", "in_progress", "resolved", "closed"):
        case = case_transition(case=case, actor=agent.user, to=to, note="done", now=NOW,
                               **({"closed_reason": "Resolved"} if to == "closed" else {}))
    later = NOW + desk.reopen_window + timedelta(days=1)
    result = ingest(tenant=desk, raw=mail(subject="Re: again", in_reply_to=first_id), now=later)
    assert result.created and result.case.follow_up_of_id == case.pk
    assert acks().filter(case=result.case).exists()


def test_a_template_reaches_plain_values_only(desk) -> None:
    desk.mail_ack_template = ("{{ tenant.memberships.all }}|{{ case.notes.all }}|"
                              "{{ case.tenant.name }}|{{ tenant.name }}|{{ case.priority }}")
    desk.save(update_fields=["mail_ack_template"])
    new_case(desk)
    assert acks().get().body == "|||Acme Support|normal"


def test_nothing_is_mailed_while_history_is_replayed(desk, agent) -> None:
    from casedesk.mail.outbox import mail_suppressed

    case = new_case(desk)
    with mail_suppressed():
        case_add_note(case=case, actor=agent.user, body="Old answer.", is_public=True, now=NOW)
        ingest(tenant=desk, raw=mail(subject="Another", sender="kim@other.example"), now=NOW)
    assert OutboundMail.objects.count() == 1  # the first case's acknowledgement only


def test_the_desks_own_mail_coming_back_makes_no_case_and_no_answer(desk) -> None:
    looped = mail(sender="Acme Support <support@acme.test>", subject="[CS-7] We have it")
    result = ingest(tenant=desk, raw=looped, now=NOW)
    assert result.status == "quarantined" and "own address" in result.message.error
    assert not Case.objects.exists() and not OutboundMail.objects.exists()


def test_the_api_says_what_became_of_a_replys_mail(desk, agent_api, agent, clock) -> None:
    case = new_case(desk)
    posted = agent_api.post(f"/cases/{case.display_number}/notes",
                            {"body": "Mailed answer.", "public": True}).json()
    assert posted["mail"]["status"] == "pending" and posted["mail"]["to"] == [
        "jo@customer.example"]
    internal = agent_api.post(f"/cases/{case.display_number}/notes",
                              {"body": "Internal.", "public": False}).json()
    assert internal["mail"] is None
    deliver_due(NOW + timedelta(days=1))
    notes = {n["body"]: n for n in agent_api.get(f"/cases/{case.display_number}/notes").json()}
    assert notes["Mailed answer."]["mail"]["status"] == "sent"
    assert notes["Mailed answer."]["mail"]["outbound_id"] == posted["mail"]["outbound_id"]
    assert notes["Internal."]["mail"] is None
