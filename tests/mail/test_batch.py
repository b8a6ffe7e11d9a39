"""Batch mode (`ingest_batch`, `ingest_email --mbox`) files a batch as taking its messages in
one by one would: the same cases, threads, duplicates, quarantines, acknowledgements and
participants, only faster."""

from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, Note, Participant, TimelineEvent
from casedesk.cases.services import case_transition
from casedesk.crm.models import Account
from casedesk.mail import batch
from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.models import (
    Attachment,
    InboundMessage,
    OutboundKind,
    OutboundMail,
    ThreadKey,
)
from casedesk.ops.provisioning import tenant_create
from casedesk.tenancy.models import Tenant
from tests.automation.test_engine import add_rule
from tests.conftest import NOW
from tests.mail.test_ingest import H, mail


def desk(slug: str):
    tenant = tenant_create(slug=slug, name=slug.title(), admin_email=f"admin@{slug}.test")
    tenant.mail_address = f"support@{slug}.test"
    tenant.save(update_fields=["mail_address"])
    return tenant


def a_batch() -> list[bytes]:
    first, second = make_msgid(domain="c.example"), make_msgid(domain="c.example")
    return [
        mail(message_id=first, Cc="Sam <sam@c.example>"),
        mail(subject="Re: Printer", in_reply_to=first, body="Still broken."),  # reply in batch
        mail(message_id=first),  # the same message again
        mail(subject="Another problem", sender="kim@other.example", message_id=second),
        mail(subject="Auto", sender="robot@other.example", Auto_Submitted="auto-replied"),
        b"\x00\x01 not a message",
        mail(subject="From us", sender="support@{slug}.test"),
        *[mail(subject=f"Problem {i}") for i in range(4)],  # more than the per-hour limit
        mail(subject="Re: Another", sender="kim@other.example", in_reply_to=second),
        mail(subject="No id", message_id="<>"),
    ]


def outcome(tenant) -> dict[str, object]:
    """What filing made, in terms that do not depend on ids or numbers."""
    rows = list(InboundMessage.objects.filter(tenant=tenant).order_by("pk"))
    first_case_of: dict[int, int] = {}
    joined = []
    for index, row in enumerate(rows):
        if row.case_id is not None:
            first_case_of.setdefault(row.case_id, index)
        joined.append(first_case_of.get(row.case_id) if row.case_id else None)
    return {
        "statuses": [row.status for row in rows],
        "joined": joined,
        "cases": Case.objects.filter(tenant=tenant).count(),
        "notes": sorted(Note.objects.filter(tenant_id=tenant.pk).values_list("body", flat=True)),
        "events": Counter(TimelineEvent.objects.filter(tenant_id=tenant.pk)
                          .values_list("kind", flat=True)),
        "acks": sorted(OutboundMail.objects.filter(tenant=tenant, kind=OutboundKind.ACKNOWLEDGEMENT)
                       .values_list("recipient", flat=True)),
        "participants": sorted(Participant.objects.filter(tenant_id=tenant.pk)
                               .values_list("email", flat=True)),
        "contacts": sorted(Case.objects.filter(tenant=tenant)
                           .values_list("contact__email", flat=True)),
    }


@pytest.mark.django_db
def test_a_batch_is_filed_as_one_by_one_would_file_it() -> None:
    one, many = desk("one"), desk("many")
    for raw in a_batch():
        ingest(tenant=one, raw=raw.replace(b"{slug}", b"one"), now=NOW)
    results = ingest_batch(tenant=many, raws=[r.replace(b"{slug}", b"many") for r in a_batch()],
                           now=NOW)
    expected, got = outcome(one), outcome(many)
    assert got == expected
    assert [r.status for r in results] == expected["statuses"]
    assert expected["statuses"].count("quarantined") == 2  # the garbage and the loop
    assert expected["statuses"].count("duplicate") == 1
    assert len(expected["acks"]) == 4  # jo three times (the limit), kim once


@pytest.mark.django_db
def test_new_cases_in_a_batch_get_numbers_in_order_and_their_clocks() -> None:
    tenant = desk("order")
    results = ingest_batch(tenant=tenant, raws=[mail(subject=f"Case {i}") for i in range(5)],
                           now=NOW)
    numbers = [r.case.number for r in results]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    for result in results:
        case = Case.objects.get(pk=result.case.pk)
        assert case.subject == result.message.subject
        assert case.resolution_due_at is not None and case.queue_id is not None


@pytest.mark.django_db
def test_a_chunk_that_fails_together_is_filed_one_by_one(monkeypatch) -> None:
    tenant = desk("fallback")

    def broken(**kwargs):
        raise RuntimeError("the bulk path broke")

    monkeypatch.setattr("casedesk.mail.batch.case_create_many", broken)
    results = ingest_batch(tenant=tenant, raws=[mail(subject=f"Case {i}") for i in range(3)],
                           now=NOW)
    assert [r.status for r in results] == ["processed"] * 3
    assert Case.objects.filter(tenant=tenant).count() == 3


def with_file(raw: bytes, name: str) -> bytes:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(name.encode() * 50, maintype="application", subtype="octet-stream",
                       filename=name)
    return bytes(msg)


def before_the_batch(tenant) -> tuple[str, str]:
    """Jo's earlier case, taken in by mail; Kim (Jo's colleague: the same account) wrote in
    once too; and a case of Jo's closed past its reopen window."""
    Account.objects.create(tenant=tenant, name="Customer Inc", domain="customer.example")
    Tenant.objects.filter(pk=tenant.pk).update(mail_match_account_by_domain=True)
    tenant.refresh_from_db()
    earlier, closed = f"<earlier@{tenant.slug}.test>", f"<closed@{tenant.slug}.test>"
    ingest(tenant=tenant, raw=mail(subject="Earlier", message_id=earlier), now=NOW)
    ingest(tenant=tenant, raw=mail(subject="Kim's", sender="kim@customer.example"), now=NOW)
    case = ingest(tenant=tenant, raw=mail(subject="Closed", message_id=closed), now=NOW).case
    for to in ("open", "in_progress", "resolved", "closed"):
        case = case_transition(case=case, actor=None, to=to, note="n", now=NOW,
                               closed_reason="Resolved")
    return earlier, closed


def replies_batch(earlier: str, closed: str) -> list[bytes]:
    new, reply = make_msgid(domain="c.example"), make_msgid(domain="c.example")
    return [
        mail(message_id=new, Cc="Sam <sam@c.example>"),
        mail(subject="Re: Printer", in_reply_to=new, message_id=reply, body="Still broken."),
        mail(subject="Re: Re: Printer", references=f"{new} {reply}", body="Now smoking."),
        with_file(mail(subject="Re: Earlier", in_reply_to=earlier, Cc="lee@c.example"),
                  "log.txt"),
        mail(subject="Re: Earlier", sender="kim@customer.example", in_reply_to=earlier,
             body="Kim here."),
        mail(subject="Auto", in_reply_to=new, Auto_Submitted="auto-replied", body="Away."),
        mail(subject="Re: Printer", sender="sam@c.example", in_reply_to=new,
             body="Sam too."),  # copied on the case: checked one by one
        mail(subject="Re: Printer", in_reply_to=new, message_id=reply),  # a redelivery
        mail(subject="Re: Closed", in_reply_to=closed, body="Again."),  # a follow-up case
        mail(subject="Re: Earlier", sender="eve@else.example", in_reply_to=earlier),
        mail(subject="Re: both", references=f"{earlier} {new}", body="Both."),
        with_file(mail(subject="Re: Printer", in_reply_to=reply, body="Photo."), "pic.png"),
    ]


def attachments_of(tenant) -> list[tuple[str, str]]:
    return sorted(Attachment.objects.filter(tenant=tenant)
                  .values_list("case__subject", "filename"))


@pytest.mark.django_db
def test_replies_in_a_batch_are_filed_as_one_by_one_would_file_them() -> None:
    one, many = desk("one"), desk("many")
    earlier, closed = before_the_batch(one)
    for raw in replies_batch(earlier, closed):
        ingest(tenant=one, raw=raw, now=NOW + 7 * H)
    earlier, closed = before_the_batch(many)
    results = ingest_batch(tenant=many, raws=replies_batch(earlier, closed), now=NOW + 7 * H)
    expected, got = outcome(one), outcome(many)
    assert got == expected
    assert [r.status for r in results] == expected["statuses"][-len(results):]
    assert attachments_of(many) == attachments_of(one) == [
        ("Earlier", "log.txt"), ("Printer is on fire", "pic.png")]
    assert (ThreadKey.objects.filter(tenant=many).count()
            == ThreadKey.objects.filter(tenant=one).count())
    printer = Case.objects.get(tenant=many, subject="Printer is on fire")
    assert Note.objects.filter(case=printer).count() == 6  # two replies on replies included
    assert results[7].status == "duplicate" and results[7].case == printer
    assert results[8].created and results[8].case.follow_up_of.subject == "Closed"
    assert results[9].created  # a stranger's answer: a new case linked to the one it answers
    assert {"lee@c.example", "sam@c.example"} <= set(expected["participants"])


@pytest.mark.django_db
def test_a_run_of_replies_that_fails_together_is_filed_one_by_one(monkeypatch) -> None:
    tenant = desk("runs")
    first = make_msgid(domain="c.example")
    case = ingest(tenant=tenant, raw=mail(message_id=first), now=NOW).case
    keys = ThreadKey.objects.filter(tenant=tenant).count()  # the mail's and its acknowledgement's
    real = batch.file_replies

    def broken(tenant, run, now):
        with transaction.atomic():
            real(tenant, run, now)  # writes everything, then the run fails as a whole
            raise RuntimeError("the run broke")

    monkeypatch.setattr("casedesk.mail.ingest.file_replies", broken)
    raws = [mail(subject=f"Re: {i}", in_reply_to=first, body=f"Reply {i}.") for i in range(3)]
    results = ingest_batch(tenant=tenant, raws=raws, now=NOW + H)
    assert [(r.status, r.case, r.created) for r in results] == [("processed", case, False)] * 3
    assert Note.objects.filter(case=case).count() == 3
    assert ThreadKey.objects.filter(tenant=tenant).count() == keys + 3
    assert set(InboundMessage.objects.filter(tenant=tenant).values_list("status", flat=True)
               ) == {"processed"}


@pytest.mark.django_db
def test_a_run_of_replies_is_one_transaction_with_its_rows_written_together() -> None:
    tenant = desk("bulk")
    first = make_msgid(domain="c.example")
    ingest(tenant=tenant, raw=mail(message_id=first, Cc="sam@c.example"), now=NOW)
    few = [mail(subject="Re", in_reply_to=first, Cc=f"p{i}@c.example") for i in range(2)]
    ingest_batch(tenant=tenant, raws=few, now=NOW + H)  # warms the per-process caches
    with CaptureQueriesContext(connection) as two:
        ingest_batch(tenant=tenant, raws=[mail(subject="Re", in_reply_to=first)
                                          for _ in range(2)], now=NOW + H)
    with CaptureQueriesContext(connection) as twelve:
        ingest_batch(tenant=tenant, raws=[mail(subject="Re", in_reply_to=first)
                                          for _ in range(12)], now=NOW + H)
    # What each further reply costs is the case change alone (its savepoint, the note, the
    # case's changed columns, the timeline), nothing of mail's own (no lookup, no insert, no
    # update per message), no lock of its own (the run locks its cases with one read) and no
    # marks of its own (written once for the run).
    per_reply = (len(twelve) - len(two)) / 10
    assert per_reply <= 5, [q["sql"][:80] for q in twelve.captured_queries]


def _moves(case: Case) -> list[tuple[str, object, object]]:
    return list(TimelineEvent.objects.filter(
        case=case, kind__in=("customer_replied", "status_changed"))
        .order_by("pk").values_list("kind", "old_value", "new_value"))


@pytest.mark.django_db
@pytest.mark.parametrize("with_rule", [False, True])
def test_the_next_reply_of_a_run_sees_what_the_one_before_did(with_rule: bool) -> None:
    """Each reply of a run is its own change: the rules it sets off run before the next
    reply, which works on the case as the reply and its rules left it, as when the replies
    come one by one."""
    outcomes = []
    for slug, together in (("alone", False), ("together", True)):
        tenant = desk(slug)
        if with_rule:
            add_rule(tenant, name="Wait again", trigger="note_added",
                     options={"visibility": "any", "author": "customer"},
                     actions=[{"kind": "transition", "to": "pending_customer"}])
        first = make_msgid(domain="c.example")
        case = ingest(tenant=tenant, raw=mail(message_id=first), now=NOW).case
        for to in ("open", "in_progress", "pending_customer"):
            case = case_transition(case=case, actor=None, to=to, now=NOW)
        other = ingest(tenant=tenant, raw=mail(subject="Other", message_id=f"<o@{slug}.test>"),
                       now=NOW).case
        raws = [mail(subject="Re", in_reply_to=first, body="One."),
                mail(subject="Re", in_reply_to=f"<o@{slug}.test>", body="Other."),
                mail(subject="Re", in_reply_to=first, body="Two.")]
        if together:
            results = ingest_batch(tenant=tenant, raws=raws, now=NOW + H)
        else:
            results = [ingest(tenant=tenant, raw=raw, now=NOW + H) for raw in raws]
        assert [r.status for r in results] == ["processed"] * 3
        case.refresh_from_db()
        other.refresh_from_db()
        outcomes.append((case.status, _moves(case), other.status, _moves(other)))
    assert outcomes[0] == outcomes[1]
    status, moves, _, _ = outcomes[1]
    replied = ("customer_replied", None, None)
    back = ("status_changed", "pending_customer", "in_progress")
    waiting = ("status_changed", "in_progress", "pending_customer")
    if with_rule:  # the second reply found the case waiting again, and moved it back
        assert (status, moves[-6:]) == (
            "pending_customer", [replied, back, waiting, replied, back, waiting])
    else:  # the second found it in progress, where the first had put it
        assert (status, moves[-3:]) == ("in_progress", [replied, back, replied])
