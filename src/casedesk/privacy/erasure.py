"""Erasing a contact (the right to erasure): their name, email, phone, messages and files
removed or replaced everywhere; their cases kept for the statistics, anonymised.

One service, `contact_erase`, in one transaction: the contact's row is locked first, each
kind of data is handled by its own step (what becomes of the person's notes, mail, files,
surveys, portal sign-ins), then `sweep.sweep` strikes the person out of every other column
of the tenant. The erasure is recorded (`Erasure`, `contact.erased` in the audit log) with
counts only. Files go from storage after commit. Erasing an erased contact changes nothing
and answers with the first erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from casedesk.cases.hooks import cases_touched
from casedesk.cases.models import Case, Note, Participant, Source
from casedesk.chat.models import Chat, ChatAttachment
from casedesk.crm.models import Contact
from casedesk.csat.models import Survey
from casedesk.kb.models import KbEvent
from casedesk.mail.models import Attachment, InboundMessage, OutboundMail, OutboundStatus
from casedesk.portal.models import PortalSession, SignInLink, WebFormSubmission
from casedesk.privacy.files import rows_delete_with_files
from casedesk.privacy.models import Erasure, ErasureReason
from casedesk.privacy.redaction import (
    ERASED_MESSAGE,
    Terms,
    erased_email,
    erased_label,
    is_erased_email,
    redact_bytes,
    redact_json,
    redact_text,
)
from casedesk.privacy.sweep import Scope, sweep
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import User

# Cases whose subject and description the customer wrote (mail, the web form, the portal).
CUSTOMER_SOURCES = (Source.EMAIL, Source.WEB, Source.PORTAL)
UNDELIVERED = (OutboundStatus.PENDING, OutboundStatus.SENDING)


@dataclass(frozen=True)
class ErasureResult:
    erasure: Erasure
    already_erased: bool


@dataclass(frozen=True)
class _Found:
    """The contact's footprint, read before anything changes."""

    own_case_ids: list[int]
    written_case_ids: list[int]  # own cases whose subject and description are theirs
    case_ids: list[int]  # every case they took part in
    note_ids: list[int]
    message_ids: list[int]


def _footprint(contact: Contact) -> _Found:
    tenant_id, email = contact.tenant_id, contact.email
    cases = Case.objects.filter(tenant_id=tenant_id)
    own = list(cases.filter(contact=contact).values_list("pk", flat=True))
    written = list(cases.filter(contact=contact, source__in=CUSTOMER_SOURCES)
                   .values_list("pk", flat=True))
    notes = Note.objects.filter(tenant_id=tenant_id, author_email__iexact=email)
    messages = InboundMessage.objects.filter(tenant_id=tenant_id, sender__iexact=email)
    involved = set(own)
    involved.update(Participant.objects.filter(tenant_id=tenant_id, email__iexact=email)
                    .values_list("case_id", flat=True))
    involved.update(notes.values_list("case_id", flat=True))
    involved.update(messages.filter(case__isnull=False).values_list("case_id", flat=True))
    involved.update(OutboundMail.objects.filter(tenant_id=tenant_id, case__isnull=False)
                    .filter(_addressed_to(email)).values_list("case_id", flat=True))
    involved.update(Survey.objects.filter(tenant_id=tenant_id, recipient__iexact=email)
                    .values_list("case_id", flat=True))
    return _Found(own_case_ids=own, written_case_ids=written, case_ids=sorted(involved),
                  note_ids=list(notes.values_list("pk", flat=True)),
                  message_ids=list(messages.values_list("pk", flat=True)))


def _addressed_to(email: str) -> Q:
    return Q(recipient__iexact=email) | Q(to__icontains=email) | Q(cc__icontains=email)


def _terms(contact: Contact, found: _Found) -> Terms:
    """The person's identifiers and the texts they wrote, to strike out where copied."""
    texts: list[str] = []
    notes = Note.objects.filter(pk__in=found.note_ids)
    for body, quoted in notes.values_list("body", "quoted"):
        texts += [body, quoted]
    for subject, description in Case.objects.filter(pk__in=found.written_case_ids) \
            .values_list("subject", "description"):
        texts += [subject, description]
    texts += Survey.objects.filter(case_id__in=found.own_case_ids) \
        .exclude(comment="").values_list("comment", flat=True)
    return Terms.of(email=contact.email, name=contact.name, phone=contact.phone, texts=texts)


def erasure_preview(contact: Contact) -> dict[str, int]:
    """What an erasure of `contact` would remove or replace, by kind (nothing changes)."""
    found = _footprint(contact)
    tenant_id = contact.tenant_id
    return {
        "cases": len(found.own_case_ids),
        "cases_taken_part_in": len(found.case_ids) - len(found.own_case_ids),
        "messages": len(found.note_ids),
        "mail_received": len(found.message_ids),
        "attachments": len(_their_attachments(tenant_id, found)),
        "mail_sent": OutboundMail.objects.filter(tenant_id=tenant_id)
        .filter(_addressed_to(contact.email)).count(),
        "surveys": Survey.objects.filter(tenant_id=tenant_id)
        .filter(Q(recipient__iexact=contact.email) | Q(case_id__in=found.own_case_ids))
        .count(),
        "portal_sign_ins": SignInLink.objects.filter(contact=contact).count()
        + PortalSession.objects.filter(contact=contact).count(),
        "chats": Chat.objects.filter(tenant_id=tenant_id).filter(
            Q(visitor_email__iexact=contact.email) | Q(case_id__in=found.own_case_ids))
        .count(),
    }


def contact_erase(*, contact: Contact, actor: User | None, now: datetime, via: str = "",
                  reason: str = ErasureReason.REQUEST) -> ErasureResult:
    """Erases the contact, in one transaction (see the module's docstring). Permission is
    the caller's to check (admins only)."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk,
                                                          tenant_id=contact.tenant_id)
        if is_erased_email(contact.email):
            earlier = (Erasure.objects.filter(tenant_id=contact.tenant_id,
                                              contact_id_erased=contact.pk)
                       .order_by("-at").first())
            if earlier is not None:
                return ErasureResult(earlier, already_erased=True)
        found = _footprint(contact)
        terms = _terms(contact, found)
        counts = _erase_own_data(contact, found, terms, now)
        for label, n in sweep(tenant_id=contact.tenant_id, terms=terms,
                              scope=Scope(found.case_ids, contact.pk)).items():
            counts[f"mentions:{label}"] = n
        cases_touched(contact.tenant_id, found.case_ids)
        erasure = Erasure.objects.create(
            tenant_id=contact.tenant_id, contact_id_erased=contact.pk, erased_by=actor,
            via=via, reason=reason, counts=counts, at=now)
        audit_record(tenant=contact.tenant_id, actor=actor, action="contact.erased",
                     target_type="contact", target_id=contact.pk,
                     target_label=erased_label(contact.pk), via=via, now=now,
                     detail={"erasure_id": erasure.pk, "reason": reason, "counts": counts})
    return ErasureResult(erasure, already_erased=False)


def _erase_own_data(contact: Contact, found: _Found, terms: Terms,
                    now: datetime) -> dict[str, int]:
    tenant_id, email, label = contact.tenant_id, contact.email, erased_label(contact.pk)
    counts: dict[str, int] = {"contact": 1}
    counts["attachments"] = rows_delete_with_files(_their_attachments(tenant_id, found))
    counts["messages"] = Note.objects.filter(pk__in=found.note_ids).update(
        body=ERASED_MESSAGE, quoted="", author_email="", author_name=label)
    counts["cases"] = len(found.own_case_ids)
    Case.objects.filter(pk__in=found.written_case_ids).update(subject=ERASED_MESSAGE,
                                                              description="")
    counts["participations"] = Participant.objects.filter(
        tenant_id=tenant_id, email__iexact=email).delete()[0]
    counts["mail_received"] = _erase_inbound(found, terms)
    counts["mail_sent"] = _erase_outbound(contact, terms, now)
    counts["surveys"] = Survey.objects.filter(tenant_id=tenant_id).filter(
        Q(recipient__iexact=email) | Q(case_id__in=found.own_case_ids)).update(
        recipient=erased_email(contact.pk), comment="")
    counts["portal_sign_ins"] = (SignInLink.objects.filter(contact=contact).delete()[0]
                                 + PortalSession.objects.filter(contact=contact).delete()[0])
    counts["web_form_posts"] = WebFormSubmission.objects.filter(
        tenant_id=tenant_id, email__iexact=email).update(email="", client="")
    counts["kb_events"] = _forget_visitors(tenant_id, found.own_case_ids)
    counts["chats"] = _erase_chats(tenant_id, email, found)
    Contact.objects.filter(pk=contact.pk).update(
        name=label, email=erased_email(contact.pk), phone="", is_portal_admin=False,
        last_portal_visit_at=None, updated_at=now)
    return {k: v for k, v in counts.items() if v}


def _erase_chats(tenant_id: int, email: str, found: _Found) -> int:
    """Their live chats go whole (transcript, files, offers): what they said there is on
    their cases as their messages, erased above."""
    chats = Chat.objects.filter(tenant_id=tenant_id).filter(
        Q(visitor_email__iexact=email) | Q(case_id__in=found.own_case_ids))
    rows_delete_with_files(list(ChatAttachment.objects.filter(chat__in=chats)))
    return chats.delete()[1].get(Chat._meta.label, 0)


def _their_attachments(tenant_id: int, found: _Found) -> list[Attachment]:
    """Files they sent: with their mail, and the web form's and portal's files, which carry
    no message but were stored at the moment of their case or their reply."""
    rows = list(Attachment.objects.filter(tenant_id=tenant_id, message_id__in=found.message_ids))
    moments = set(Note.objects.filter(pk__in=found.note_ids)
                  .values_list("case_id", "created_at"))
    moments.update(Case.objects.filter(pk__in=found.written_case_ids)
                   .values_list("pk", "created_at"))
    cases = {case_id for case_id, _ in moments}
    rows += [a for a in Attachment.objects.filter(tenant_id=tenant_id, message__isnull=True,
                                                  case_id__in=cases)
             if (a.case_id, a.created_at) in moments]
    return rows


def _erase_inbound(found: _Found, terms: Terms) -> int:
    """Their own mail keeps no byte of itself; other mail on their cases loses their address
    and name where it stands in plain text (a Cc: header, a quoted line)."""
    InboundMessage.objects.filter(pk__in=found.message_ids).update(
        raw=b"", sender="", subject="", error="", auth_summary="", message_id="")
    for message in InboundMessage.objects.filter(case_id__in=found.case_ids) \
            .exclude(pk__in=found.message_ids).only("pk", "raw"):
        raw = bytes(message.raw)
        cleaned = redact_bytes(raw, terms)
        if cleaned != raw:
            InboundMessage.objects.filter(pk=message.pk).update(raw=cleaned)
    return len(found.message_ids)


def _erase_outbound(contact: Contact, terms: Terms, now: datetime) -> int:
    """Mail to them: the address replaced, the body (written for them) removed; what was not
    sent yet is not sent."""
    placeholder = erased_email(contact.pk)
    count = 0
    rows = OutboundMail.objects.filter(tenant_id=contact.tenant_id).filter(
        _addressed_to(contact.email))
    for mail in rows:
        to_them = mail.recipient.lower() == terms.email
        changes: dict[str, Any] = {
            "to": [placeholder if str(a).lower() == terms.email else redact_json(a, terms)
                   for a in mail.to],
            "cc": [a for a in mail.cc if str(a).lower() != terms.email],
            "recipient": placeholder if to_them else mail.recipient,
            "subject": redact_text(mail.subject, terms),
            "body": ERASED_MESSAGE if to_them else redact_text(mail.body, terms),
        }
        if to_them and mail.status in UNDELIVERED:
            changes.update(status=OutboundStatus.FAILED, claimed_at=None,
                           last_error="Not sent: the recipient was erased.")
        OutboundMail.objects.filter(pk=mail.pk).update(**changes)
        count += 1
    return count


def _forget_visitors(tenant_id: int, own_case_ids: list[int]) -> int:
    """The knowledge base's reader key that led to their cases ties their reading and
    searching to them: every event of that key loses the key and the words searched."""
    keys = set(KbEvent.objects.filter(tenant_id=tenant_id, case_id__in=own_case_ids)
               .exclude(visitor="").values_list("visitor", flat=True))
    if not keys:
        return 0
    return KbEvent.objects.filter(tenant_id=tenant_id, visitor__in=keys).update(
        visitor="", query="")

