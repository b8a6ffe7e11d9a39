"""Plain-dict views of cases for the API (and anything else that emits JSON)."""

from datetime import datetime
from typing import Any

from django.urls import reverse

from casedesk.cases.lifecycle import Status, allowed_moves, case_age, is_done
from casedesk.cases.models import Case, CaseAssignment, Note, NoteAttachment, TimelineEvent
from casedesk.core.priority import Priority
from casedesk.sla.readings import clocks_of
from casedesk.tenancy.presenters import person


def case_out(case: Case, now: datetime) -> dict[str, Any]:
    """The case as the API shows it; reads `sla_policy` (select it with the case: the
    selectors' CASE_RELATED does)."""
    prefix = case.tenant.case_prefix
    account, contact, queue = case.account, case.contact, case.queue
    return {
        "number": f"{prefix}-{case.number}",
        "subject": case.subject,
        "description": case.description,
        "status": case.status,
        "sub_status": case.sub_status,
        "priority": Priority(case.priority).label,
        "type": case.type,
        "category": case.category,
        "subcategory": case.subcategory,
        "source": case.source,
        "language": case.language,
        "account": {"id": account.pk, "name": account.name} if account is not None else None,
        "contact": ({"id": contact.pk, "name": contact.name, "email": contact.email}
                    if contact is not None else None),
        "deal_id": case.deal_id,
        "queue": {"id": queue.pk, "name": queue.name} if queue is not None else None,
        "owner": person(case.owner) if case.owner_id else None,
        "tags": case.tags,
        "custom_fields": case.custom_fields,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "closed_reason": case.closed_reason,
        "closure_note": case.closure_note,
        "reopen_count": case.reopen_count,
        "follow_up_of": _follow_up_number(case, prefix),
        "age_seconds": int(case_age(case.created_at, closed_at=case.closed_at,
                                    now=now).total_seconds()),
        "allowed_transitions": [s.value for s in allowed_moves(Status(case.status))],
        "sla": {
            "policy": case.sla_policy.name if case.sla_policy is not None else None,
            "clocks": [clock.as_dict()
                       for clock in clocks_of(case, now, done=is_done(case.status))],
            "first_response_due_at": case.first_response_due_at,
            "resolution_due_at": case.resolution_due_at,
            "first_response_breached_at": case.first_response_breached_at,
            "resolution_breached_at": case.resolution_breached_at,
        },
    }


def _follow_up_number(case: Case, prefix: str) -> str | None:
    if case.follow_up_of_id is None:
        return None
    parent = case.follow_up_of
    return f"{prefix}-{parent.number}" if parent is not None else None


def note_attachment_out(attachment: NoteAttachment, number: str) -> dict[str, Any]:
    """A file of a note (or a pending upload) of the case numbered `number`."""
    return {
        "id": attachment.pk, "filename": attachment.filename,
        "content_type": attachment.content_type, "size": attachment.size,
        "note_id": attachment.note_id, "pending": attachment.note_id is None,
        "created_at": attachment.created_at,
        "download_url": reverse("api:download_note_attachment",
                                args=[number, attachment.pk]),
    }


def note_out(note: Note, mail: dict[str, Any] | None = None, *, number: str | None = None
             ) -> dict[str, Any]:
    """A note; `mail`, what became of a public reply's mail (`cases.hooks.reply_mail`); its
    files (prefetch `attachments` for many notes), linked under `number`, the case's."""
    files = list(note.attachments.all())
    if files and number is None:
        number = note.case.display_number
    return {"id": note.pk, "body": note.body, "public": note.is_public,
            "author": person(note.author), "created_at": note.created_at, "mail": mail,
            "attachments": [note_attachment_out(a, number or "") for a in files]}


def event_out(event: TimelineEvent, *, number: str | None = None) -> dict[str, Any]:
    return {
        "id": event.pk, "kind": event.kind, "actor": person(event.actor), "field": event.field,
        "old_value": event.old_value, "new_value": event.new_value, "message": event.message,
        "note": note_out(event.note, number=number) if event.note is not None else None,
        "created_at": event.created_at,
    }


def assignment_out(assignment: CaseAssignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "queue": {"id": assignment.queue.pk, "name": assignment.queue.name},
        "description": assignment.description,
        "status": assignment.status,
        "opened_by": person(assignment.opened_by),
        "opened_at": assignment.opened_at,
        "closed_by": person(assignment.closed_by),
        "closed_at": assignment.closed_at,
        "closing_note": assignment.closing_note,
    }
