"""The retention job: closed cases past the tenant's period lose their personal data, once,
batch by batch, on the worker's clock; the rest is kept for the statistics."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage

from casedesk.cases.models import Case, Note, Participant
from casedesk.cases.services import case_add_note, case_transition
from casedesk.crm.models import Contact
from casedesk.mail.ingest import ingest
from casedesk.mail.models import Attachment, InboundMessage, OutboundMail
from casedesk.ops.schedule import jobs, run_once
from casedesk.privacy.models import AnonymisedCase, Erasure
from casedesk.privacy.retention import REMOVED, retention_sweep, tenant_retention_apply
from casedesk.reports.models import FactStale
from casedesk.tenancy.models import AuditEntry, Membership, Tenant
from tests.conftest import NOW
from tests.privacy.helpers import mail
from tests.privacy.scan import model_traces

D = timedelta(days=1)


def closed_mail_case(tenant: Tenant, agent: Membership, *, sender: str, closed_at: Any,
                     body: str = "Our order 991 never arrived at our house.") -> Case:
    """A case from a customer's mail with a file, answered and closed at `closed_at`."""
    made = ingest(tenant=tenant, now=closed_at - 2 * D, raw=mail(
        sender=sender, subject="Order missing", body=body, cc="Cleo Copy <cleo@copy.example>",
        attachment=b"%PDF-1.4 receipt"))
    case = made.case
    assert case is not None
    # The contact was made with the mail, in the test's past (not on the wall clock).
    Contact.objects.filter(pk=case.contact_id, created_at__gt=closed_at - 2 * D).update(
        created_at=closed_at - 2 * D)
    case_add_note(case=case, actor=agent.user, body="We sent a new one.", is_public=True,
                  now=closed_at - D)
    answered = OutboundMail.objects.filter(case=case).order_by("-id").first()
    assert answered is not None
    ingest(tenant=tenant, now=closed_at - D / 2, raw=mail(
        sender=sender, subject="Re: Order missing", body="It came, thanks a lot!",
        in_reply_to=answered.message_id))
    path = ["open", "in_progress", "resolved", "closed"]
    case = Case.objects.get(pk=case.pk)
    for to in path[path.index(case.status) + 1 if case.status in path else 0:]:
        case = case_transition(case=case, actor=agent.user, to=to, now=closed_at,
                               note="Done." if to in ("resolved", "closed") else "",
                               closed_reason="Resolved" if to == "closed" else "")
    return case


@pytest.fixture
def keeping_six_months(tenant: Tenant) -> Tenant:
    Tenant.objects.filter(pk=tenant.pk).update(retention_months=6)
    tenant.refresh_from_db()
    return tenant


def retention_job() -> Any:
    return next(j for j in jobs() if j.name == "retention")


def test_an_old_closed_case_loses_its_personal_data_and_keeps_its_figures(
        keeping_six_months, agent, clock, django_capture_on_commit_callbacks: Any) -> None:
    tenant = keeping_six_months
    old = closed_mail_case(tenant, agent, sender="Ada Old <ada@old.example>",
                           closed_at=NOW - 200 * D)
    files = [a.file.name for a in Attachment.objects.filter(case=old)]
    before = Case.objects.get(pk=old.pk)
    with django_capture_on_commit_callbacks(execute=True):
        lines = run_once(retention_job())
    assert lines == [f"Retention for {tenant.slug}: 1 case(s) and 1 contact(s) anonymised"]
    after = Case.objects.get(pk=old.pk)
    # Kept for the statistics.
    for name in ("status", "priority", "category", "source", "queue_id", "owner_id",
                 "created_at", "first_response_at", "resolved_at", "closed_at",
                 "closed_reason", "first_response_breached_at", "subject", "contact_id"):
        assert getattr(after, name) == getattr(before, name), name
    assert after.description == ""
    customer = Note.objects.get(case=old, author__isnull=True)
    assert customer.body == REMOVED and customer.author_email == ""
    assert Note.objects.filter(case=old, author=agent.user, body="We sent a new one.").exists()
    assert not Participant.objects.filter(case=old).exists()
    assert not Attachment.objects.filter(case=old).exists()
    assert files and not any(default_storage.exists(n) for n in files)
    assert all(bytes(m.raw) == b"" and m.sender == ""
               for m in InboundMessage.objects.filter(case=old))
    assert AnonymisedCase.objects.get(case=old).at == NOW
    assert old.pk in set(FactStale.objects.values_list("case_id", flat=True))
    # Her last case is anonymised and she was not seen since: the contact goes too.
    contact = Contact.objects.get(pk=old.contact_id)
    assert contact.name == f"Erased contact {contact.pk}"
    assert Erasure.objects.get(contact_id_erased=contact.pk).reason == "retention"
    assert model_traces(["ada@old.example", "Ada Old", "cleo@copy.example", "Cleo Copy",
                         "order 991 never arrived", "It came, thanks"]) == []
    assert AuditEntry.objects.filter(action="retention.applied").count() == 1


def test_recent_and_open_cases_are_kept_until_their_time(keeping_six_months, agent,
                                                         clock) -> None:
    tenant = keeping_six_months
    recent = closed_mail_case(tenant, agent, sender="Ben Recent <ben@recent.example>",
                              closed_at=NOW - 30 * D)
    assert retention_sweep(NOW) == {}
    assert not AnonymisedCase.objects.exists()
    assert Note.objects.filter(case=recent, author_email="ben@recent.example").exists()
    clock.advance(days=160)
    lines = run_once(retention_job())
    assert lines[0].startswith(f"Retention for {tenant.slug}: 1 case(s)")
    assert AnonymisedCase.objects.filter(case=recent, at=clock.now).exists()


def test_a_contact_with_a_newer_case_is_kept(keeping_six_months, agent, clock) -> None:
    tenant = keeping_six_months
    old = closed_mail_case(tenant, agent, sender="Cy Both <cy@both.example>",
                           closed_at=NOW - 300 * D)
    newer = closed_mail_case(tenant, agent, sender="Cy Both <cy@both.example>",
                             closed_at=NOW - 10 * D, body="A second order went missing too.")
    assert old.contact_id == newer.contact_id
    retention_sweep(NOW)
    assert AnonymisedCase.objects.filter(case=old).exists()
    assert not AnonymisedCase.objects.filter(case=newer).exists()
    contact = Contact.objects.get(pk=old.contact_id)
    assert contact.email == "cy@both.example" and contact.name == "Cy Both"
    assert Note.objects.filter(case=newer, author_email="cy@both.example").exists()


def test_each_case_is_done_once_in_bounded_batches(keeping_six_months, agent) -> None:
    tenant = keeping_six_months
    for n in range(3):
        closed_mail_case(tenant, agent, sender=f"Dee {n} <dee{n}@batch.example>",
                         closed_at=NOW - (200 + n) * D)
    first = tenant_retention_apply(tenant=tenant, now=NOW, batch=2, max_batches=1)
    assert first.cases == 2 and AnonymisedCase.objects.count() == 2
    second = tenant_retention_apply(tenant=tenant, now=NOW, batch=2, max_batches=1)
    assert second.cases == 1 and AnonymisedCase.objects.count() == 3
    assert tenant_retention_apply(tenant=tenant, now=NOW).cases == 0
    # The oldest went first.
    oldest = Case.objects.order_by("closed_at").first()
    assert oldest is not None
    assert AnonymisedCase.objects.filter(case=oldest, at=NOW).exists()


def test_a_tenant_without_a_period_keeps_everything(tenant, agent) -> None:
    closed_mail_case(tenant, agent, sender="Eve Keep <eve@keep.example>",
                     closed_at=NOW - 3000 * D)
    assert tenant.retention_months is None
    assert retention_sweep(NOW) == {}
    assert not AnonymisedCase.objects.exists()


def test_other_tenants_cases_are_not_touched(keeping_six_months, agent, other_tenant,
                                             outsider) -> None:
    theirs = closed_mail_case(other_tenant, outsider, sender="Fay <fay@other.example>",
                              closed_at=NOW - 400 * D)
    mine = closed_mail_case(keeping_six_months, agent, sender="Gus <gus@mine.example>",
                            closed_at=NOW - 400 * D)
    retention_sweep(NOW)
    assert AnonymisedCase.objects.filter(case=mine).exists()
    assert not AnonymisedCase.objects.filter(case=theirs).exists()
    assert Note.objects.filter(case=theirs, author_email="fay@other.example").exists()
