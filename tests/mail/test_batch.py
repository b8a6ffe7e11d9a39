"""Batch mode (`ingest_batch`, `ingest_email --mbox`) files a batch as taking its messages in
one by one would: the same cases, threads, duplicates, quarantines, acknowledgements and
participants, only faster."""

from collections import Counter
from email.utils import make_msgid

import pytest

from casedesk.cases.models import Case, Note, Participant, TimelineEvent
from casedesk.mail.ingest import ingest, ingest_batch
from casedesk.mail.models import InboundMessage, OutboundKind, OutboundMail
from casedesk.ops.provisioning import tenant_create
from tests.conftest import NOW
from tests.mail.test_ingest import mail


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

    monkeypatch.setattr("casedesk.mail.ingest.case_create_many", broken)
    results = ingest_batch(tenant=tenant, raws=[mail(subject=f"Case {i}") for i in range(3)],
                           now=NOW)
    assert [r.status for r in results] == ["processed"] * 3
    assert Case.objects.filter(tenant=tenant).count() == 3
