"""Imported history: cases brought in from another desk, written as they were there.

A case made here by `case_create` is routed, given SLA clocks, acknowledged and heard by
automation. An imported case is none of that: it is history. So it is written by these
services instead, with its original times (created, first response, resolved, closed, each
note's), no SLA policy and no clocks (so the breach sweep never marks it), its timeline
written through `timeline.history_write` (automation hears nothing: no rule, webhook or
acknowledgement fires), and only the reports' facts marked stale, in the same transaction.

`imported_case_check` is the one check of what an imported case may hold (the same text,
picklist, tag and custom-field checks as any case); the importer calls it on every row
before it writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import transaction

from casedesk.cases.customfields import FieldSpec, clean_custom_fields
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import Case, EventKind, Note, PicklistKind, TimelineEvent
from casedesk.cases.numbering import next_case_numbers
from casedesk.cases.picklists import Picklists
from casedesk.cases.timeline import event, history_write
from casedesk.cases.writing import check_case_text, clean_tags
from casedesk.core.errors import Invalid
from casedesk.core.limits import check_fits
from casedesk.core.text import check_text
from casedesk.tenancy.models import Tenant, User

# The case columns an import sets (and, on a re-run with changed source data, updates).
IMPORTED_FIELDS = (
    "subject", "description", "status", "priority", "type", "category", "subcategory",
    "source", "tags", "custom_fields", "account_id", "contact_id", "owner_id", "created_at",
    "updated_at", "first_response_at", "resolved_at", "closed_at", "closed_reason",
    "closure_note", "status_changed_at",
)


@dataclass
class ImportedNote:
    """A comment of the old desk: a public reply, an internal note or the customer's message
    (`by_customer`), with its original author and time."""

    body: str
    is_public: bool
    created_at: datetime
    by_customer: bool = False
    author_name: str = ""
    author_email: str = ""
    author_id: int | None = None  # the member who wrote it, when they are one here


@dataclass
class ImportedCase:
    """A case of the old desk, its values already translated into casedesk's."""

    subject: str
    created_at: datetime
    updated_at: datetime
    origin: str  # where it came from, for people: "Zendesk #1234"
    description: str = ""
    status: str = Status.NEW
    priority: int = 2
    type: str = ""
    category: str = ""
    subcategory: str = ""
    source: str = "email"
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    account_id: int | None = None
    contact_id: int | None = None
    owner_id: int | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: str = ""
    closure_note: str = ""
    notes: list[ImportedNote] = field(default_factory=list)

    @property
    def status_changed_at(self) -> datetime:
        if self.status == Status.CLOSED and self.closed_at is not None:
            return self.closed_at
        if self.status == Status.RESOLVED and self.resolved_at is not None:
            return self.resolved_at
        return self.updated_at

    def values(self) -> dict[str, Any]:
        """The case columns it sets."""
        return {name: (self.status_changed_at if name == "status_changed_at"
                       else getattr(self, name)) for name in IMPORTED_FIELDS}


def _check_note(note: ImportedNote) -> ImportedNote:
    check_text(note.body, field="comment")
    check_text(note.author_name, field="author_name", label="Comment author")
    check_text(note.author_email, field="author_email", label="Comment author's email")
    check_fits(Note, {"author_name": note.author_name, "author_email": note.author_email})
    if not note.body.strip():
        raise Invalid("A comment has no text.", field="comment")
    return note


def imported_case_check(data: ImportedCase, *, picklists: Picklists,
                        specs: list[FieldSpec]) -> ImportedCase:
    """The case as it will be written, or Invalid naming what is wrong with it.

    Picklist values must be active values of the tenant; custom fields defined ones (a
    required field binds no imported case: the old desk did not ask for it); the times must
    be in order; a resolved or closed case needs its closed reason from the picklist.
    """
    values: dict[str, Any] = {
        "subject": data.subject, "description": data.description, "type": data.type,
        "category": data.category, "subcategory": data.subcategory, "source": data.source,
        "tags": data.tags, "priority": data.priority}
    check_case_text(values)
    for name in ("closed_reason", "closure_note"):
        check_text(getattr(data, name), field=name)
    check_fits(Case, {"closed_reason": data.closed_reason})
    if data.status not in Status.__members__.values():
        raise Invalid(f"Unknown status {data.status!r}.", field="status")
    picklists.check(PicklistKind.TYPE, data.type)
    picklists.check(PicklistKind.CATEGORY, data.category)
    picklists.check(PicklistKind.SUBCATEGORY, data.subcategory, parent=data.category)
    done = data.status in (Status.RESOLVED, Status.CLOSED)
    if done:
        if not data.closed_reason:
            raise Invalid("A resolved or closed case needs a closed reason.",
                          field="closed_reason")
        picklists.check(PicklistKind.CLOSED_REASON, data.closed_reason)
    unbound = [replace(spec, required=False) for spec in specs]
    custom = clean_custom_fields(unbound, data.custom_fields)
    for name in ("updated_at", "first_response_at", "resolved_at", "closed_at"):
        moment = getattr(data, name)
        if moment is not None and moment < data.created_at:
            raise Invalid(f"{name.replace('_', ' ').capitalize()} ({moment.isoformat()}) is "
                          f"before the case was created ({data.created_at.isoformat()}).",
                          field=name)
    return replace(
        data, subject=values["subject"], tags=clean_tags(data.tags), custom_fields=custom,
        # Open cases carry no resolution; finished ones keep theirs.
        resolved_at=data.resolved_at if done else None,
        closed_at=data.closed_at if data.status == Status.CLOSED else None,
        closed_reason=data.closed_reason if done else "",
        notes=sorted((_check_note(n) for n in data.notes), key=lambda n: n.created_at),
    )


def _note_rows(case: Case, notes: list[ImportedNote]) -> list[Note]:
    return [Note(tenant_id=case.tenant_id, case=case, author_id=n.author_id, body=n.body,
                 is_public=n.is_public, author_name=n.author_name,
                 author_email=n.author_email, created_at=n.created_at) for n in notes]


def _note_events(case: Case, notes: list[ImportedNote], rows: list[Note]
                 ) -> list[TimelineEvent]:
    events = []
    for note, row in zip(notes, rows, strict=True):
        if note.by_customer:
            who = note.author_name or note.author_email or "The customer"
            events.append(event(case, None, EventKind.CUSTOMER_REPLIED, note.created_at,
                                note=row, message=f"{who} wrote."))
        else:
            kind = EventKind.REPLY_ADDED if note.is_public else EventKind.NOTE_ADDED
            events.append(event(case, None, kind, note.created_at, note=row))
    return events


def _case_events(case: Case, data: ImportedCase) -> list[TimelineEvent]:
    events = [event(case, None, EventKind.CREATED, data.created_at,
                    new_value={"status": Status.NEW.value, "source": case.source,
                               "imported_from": data.origin},
                    message=f"Imported from {data.origin}.")]
    if data.status != Status.NEW:
        events.append(event(case, None, EventKind.STATUS_CHANGED, data.status_changed_at,
                            field="status", old_value=Status.NEW.value, new_value=data.status,
                            message="Status as it was in the old desk."))
    return events


def imported_cases_create(*, tenant: Tenant, actor: User | None, items: list[ImportedCase]
                          ) -> list[tuple[Case, list[Note]]]:
    """Writes checked imported cases (`imported_case_check`), numbered in the order given,
    with their notes and timelines, in one transaction; each case with its notes in the
    order of `items[i].notes`."""
    if not items:
        return []
    with transaction.atomic():
        numbers = next_case_numbers(tenant, len(items))
        cases = [Case(tenant=tenant, number=number, created_by=actor, sub_status="",
                      **data.values())
                 for data, number in zip(items, numbers, strict=True)]
        Case.objects.bulk_create(cases, batch_size=500)
        notes = [_note_rows(case, data.notes) for case, data in zip(cases, items, strict=True)]
        Note.objects.bulk_create([n for rows in notes for n in rows], batch_size=1000)
        events: list[TimelineEvent] = []
        for case, data, rows in zip(cases, items, notes, strict=True):
            events.extend(_case_events(case, data))
            events.extend(_note_events(case, data.notes, rows))
        history_write(events)
    return list(zip(cases, notes, strict=True))


def imported_case_update(*, case: Case, data: ImportedCase, new_notes: list[ImportedNote]
                         ) -> list[Note]:
    """Brings an imported case up to date with a newer export of it: the fields that
    changed, and the comments added since (comments already imported stay as they are).
    One transaction; one timeline event, at the source's update time, says what changed.
    Returns the notes it added."""
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).get(
            pk=case.pk, tenant_id=case.tenant_id)
        changed = {name: (getattr(locked, name), value) for name, value in data.values().items()
                   if getattr(locked, name) != value}
        for name, (_, value) in changed.items():
            setattr(locked, name, value)
        if changed:
            locked.save(update_fields=[name.removesuffix("_id") if name.endswith("_id")
                                       else name for name in changed])
        rows = _note_rows(locked, new_notes)
        Note.objects.bulk_create(rows)
        events = _note_events(locked, new_notes, rows)
        if changed:
            events.append(event(
                locked, None, EventKind.FIELD_CHANGED, data.updated_at, field="imported",
                old_value={k: _plain(old) for k, (old, _) in changed.items()},
                new_value={k: _plain(new) for k, (_, new) in changed.items()},
                message=f"Updated from {data.origin}: {', '.join(sorted(changed))}."))
        history_write(events)
    case.refresh_from_db()
    return rows


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value

