"""The retention period: closed cases that closed more than `Tenant.retention_months` ago
lose their personal data, batch by batch, each once (`AnonymisedCase`).

What goes from such a case: the customers' messages (bodies, quoted text, who wrote them),
the description when the customer wrote it (mail, web form, portal), every file (theirs and
the agents'), the people copied on it, the raw mail and its sender, the bodies and addresses
of the mail sent on it, the survey's comment and address, the reader key of the knowledge
base's events, the customer's name in the timeline. What stays, for the statistics: the
subject, every categorical field, every time, the SLA outcomes, the rating, the agents' notes
and who worked the case. The contact stays linked; once all their cases are anonymised, and
they have not been seen since the cut-off, the contact itself is anonymised too.

Two workers never take the same case: a batch locks its cases with SKIP LOCKED (PostgreSQL;
SQLite runs one writer at a time), and the `AnonymisedCase` row, unique per case, is written
in the batch's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from casedesk.cases.hooks import cases_touched
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import (
    Case,
    EventKind,
    Note,
    NoteAttachment,
    Participant,
    Source,
    TimelineEvent,
)
from casedesk.crm.models import Contact
from casedesk.csat.models import Survey
from casedesk.kb.models import KbEvent
from casedesk.mail.models import Attachment, InboundMessage, OutboundMail
from casedesk.portal.models import PortalSession, SignInLink
from casedesk.privacy.files import rows_delete_with_files
from casedesk.privacy.models import AnonymisedCase, Erasure, ErasureReason
from casedesk.privacy.redaction import (
    Terms,
    erased_email,
    erased_label,
    is_erased_email,
    months_before,
)
from casedesk.privacy.sweep import sweep_cases
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import Tenant

BATCH = 200
# Per tenant and run: a backlog (retention just switched on) is worked off over a few runs.
MAX_BATCHES = 25
REMOVED = "(removed after the retention period)"
CUSTOMER = "Customer"
CUSTOMER_SOURCES = (Source.EMAIL, Source.WEB, Source.PORTAL)


@dataclass(frozen=True)
class RetentionReport:
    cases: int = 0
    contacts: int = 0


def retention_cutoff(tenant: Tenant, now: datetime) -> datetime | None:
    """Cases that closed before this are due; None when the tenant keeps everything."""
    if not tenant.retention_months:
        return None
    return months_before(now, tenant.retention_months)


def due_cases(tenant_id: int, cutoff: datetime) -> Q:
    return Q(tenant_id=tenant_id, status=Status.CLOSED, closed_at__lt=cutoff) & ~Q(
        Exists(AnonymisedCase.objects.filter(case_id=OuterRef("pk"))))


def retention_sweep(now: datetime, *, batch: int = BATCH,
                    max_batches: int = MAX_BATCHES) -> dict[str, RetentionReport]:
    """One turn of the worker's job over every tenant with a retention period: by slug,
    what was anonymised."""
    done: dict[str, RetentionReport] = {}
    for tenant in Tenant.objects.filter(retention_months__isnull=False,
                                        retention_months__gt=0).order_by("pk"):
        report = tenant_retention_apply(tenant=tenant, now=now, batch=batch,
                                        max_batches=max_batches)
        if report.cases or report.contacts:
            done[tenant.slug] = report
    return done


def tenant_retention_apply(*, tenant: Tenant, now: datetime, batch: int = BATCH,
                           max_batches: int = MAX_BATCHES) -> RetentionReport:
    """Anonymises the tenant's due cases, up to `max_batches` batches of `batch` cases,
    each batch in its own transaction."""
    cutoff = retention_cutoff(tenant, now)
    if cutoff is None:
        return RetentionReport()
    cases = contacts = 0
    for _ in range(max_batches):
        done, gone = cases_anonymise_batch(tenant_id=tenant.pk, cutoff=cutoff, now=now,
                                           batch=batch)
        cases, contacts = cases + done, contacts + gone
        if done < batch:
            break
    return RetentionReport(cases=cases, contacts=contacts)


def cases_anonymise_batch(*, tenant_id: int, cutoff: datetime, now: datetime,
                          batch: int = BATCH) -> tuple[int, int]:
    """One batch in one transaction: (cases anonymised, contacts anonymised)."""
    with transaction.atomic():
        ids = list(Case.objects.filter(due_cases(tenant_id, cutoff))
                   .order_by("closed_at", "pk")
                   .select_for_update(skip_locked=True, of=("self",))
                   .values_list("pk", flat=True)[:batch])
        if not ids:
            return 0, 0
        people = _people(ids)
        _strip(tenant_id, ids)
        sweep_cases(tenant_id=tenant_id, people=people)
        AnonymisedCase.objects.bulk_create(
            [AnonymisedCase(case_id=pk, tenant_id=tenant_id, at=now) for pk in ids])
        contacts = _contacts_done(tenant_id, ids, cutoff, now)
        cases_touched(tenant_id, ids)
        audit_record(tenant=tenant_id, actor=None, action="retention.applied",
                     target_type="tenant", target_id=tenant_id, via="worker", now=now,
                     detail={"cases": len(ids), "contacts": contacts,
                             "closed_before": cutoff})
    return len(ids), contacts


def _people(ids: list[int]) -> dict[int, list[Terms]]:
    """By case, the customers on it: its contact, the people copied, who wrote in."""
    found: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for pk, email, name in Case.objects.filter(pk__in=ids, contact__isnull=False) \
            .values_list("pk", "contact__email", "contact__name"):
        found[pk][email.lower()] = name
    for pk, email, name in Participant.objects.filter(case_id__in=ids) \
            .values_list("case_id", "email", "name"):
        found[pk].setdefault(email.lower(), name)
    for pk, email, name in Note.objects.filter(case_id__in=ids, author__isnull=True) \
            .exclude(author_email="").values_list("case_id", "author_email", "author_name"):
        found[pk].setdefault(email.lower(), name)
    return {pk: [Terms.of(email=e, name=n) for e, n in people.items()
                 if not is_erased_email(e)]
            for pk, people in found.items()}


def _strip(tenant_id: int, ids: list[int]) -> None:
    customer_notes = Note.objects.filter(case_id__in=ids, author__isnull=True).exclude(
        author_email="")
    customer_notes.update(body=REMOVED, quoted="", author_email="", author_name=CUSTOMER)
    Case.objects.filter(pk__in=ids, source__in=CUSTOMER_SOURCES).update(description="")
    Participant.objects.filter(case_id__in=ids).delete()
    rows_delete_with_files(Attachment.objects.filter(case_id__in=ids))
    rows_delete_with_files(NoteAttachment.objects.filter(case_id__in=ids))
    InboundMessage.objects.filter(case_id__in=ids).update(
        raw=b"", sender="", subject="", error="", auth_summary="")
    OutboundMail.objects.filter(case_id__in=ids).update(body="", to=[], cc=[], recipient="")
    Survey.objects.filter(case_id__in=ids).update(comment="", recipient="")
    KbEvent.objects.filter(tenant_id=tenant_id, case_id__in=ids).update(visitor="", query="")
    TimelineEvent.objects.filter(case_id__in=ids, kind=EventKind.CUSTOMER_REPLIED).update(
        message="The customer wrote.")


def _contacts_done(tenant_id: int, ids: list[int], cutoff: datetime, now: datetime) -> int:
    """Anonymises the batch's contacts that have no case left with personal data and were
    not seen since the cut-off (made, or in the portal)."""
    candidates = set(Case.objects.filter(pk__in=ids, contact__isnull=False)
                     .values_list("contact_id", flat=True))
    if not candidates:
        return 0
    still_personal = Case.objects.filter(contact_id=OuterRef("pk")).exclude(
        Exists(AnonymisedCase.objects.filter(case_id=OuterRef("pk"))))
    done = list(Contact.objects.filter(pk__in=candidates, tenant_id=tenant_id,
                                       created_at__lt=cutoff)
                .filter(Q(last_portal_visit_at__isnull=True)
                        | Q(last_portal_visit_at__lt=cutoff))
                .exclude(Exists(still_personal)).values_list("pk", flat=True))
    for pk in done:
        Contact.objects.filter(pk=pk).update(
            name=erased_label(pk), email=erased_email(pk), phone="", is_portal_admin=False,
            last_portal_visit_at=None, updated_at=now)
    Erasure.objects.bulk_create([
        Erasure(tenant_id=tenant_id, contact_id_erased=pk, via="worker",
                reason=ErasureReason.RETENTION, counts={"contact": 1}, at=now)
        for pk in done])
    SignInLink.objects.filter(contact_id__in=done).delete()
    PortalSession.objects.filter(contact_id__in=done).delete()
    return len(done)
