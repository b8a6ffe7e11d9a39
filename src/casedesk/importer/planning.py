"""What an import will do, row by row, decided before anything is written (pure: the tenant's
side comes in as a `Known`).

Every record of the export is checked the way casedesk checks its own input (the case
checks are `cases.imported.imported_case_check`), translated (`importer.translate`) and
compared with what an earlier run of the same source left (`ImportRecord` digests): each
row is to be created, updated or left unchanged, or it is refused with its place in the
files. A dry run shows this plan; an import writes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from casedesk.cases.imported import ImportedCase, ImportedNote, imported_case_check
from casedesk.cases.lifecycle import Status
from casedesk.cases.picklists import Picklists
from casedesk.core.errors import Invalid
from casedesk.core.limits import check_fits
from casedesk.core.text import check_texts
from casedesk.crm.models import Account, Contact
from casedesk.importer.mapping import Mapping
from casedesk.importer.sources import (
    Export,
    Problem,
    SourceAccount,
    SourceCase,
    SourceContact,
)
from casedesk.importer.translate import (
    DEFAULT_CLOSED_REASON,
    TYPES,
    CustomFields,
    channel_of,
    picklist_value,
    priority_of,
    status_of,
)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
ORIGIN_NAMES = {"zendesk": "Zendesk", "freshdesk": "Freshdesk", "salesforce": "Salesforce",
                "csv": "CSV"}


@dataclass
class Known:
    """What the plan needs to know of the tenant, read once (`importer.services`)."""

    picklists: Picklists
    custom: CustomFields
    closed_reasons: list[str]  # in the tenant's order
    members_by_email: dict[str, int]
    members_by_name: dict[str, int]
    # (kind, external id) → (object id, digest) of this source's earlier runs.
    records: dict[tuple[str, str], tuple[int, str]]
    contacts_by_email: dict[str, int]
    accounts_by_name: dict[str, int]


@dataclass
class Row:
    """One record's fate: its action, the id it has here already (None: to be created),
    and what to write."""

    kind: str
    external_id: str
    where: str
    action: str
    digest: str
    existing_id: int | None
    values: dict[str, Any] = field(default_factory=dict)
    account_ref: str | None = None
    contact_ref: str | None = None
    case: ImportedCase | None = None
    # Notes by their import key, and which of them are new (all, for a new case).
    notes: list[tuple[str, ImportedNote]] = field(default_factory=list)


@dataclass
class Plan:
    source: str
    accounts: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def count(self, kind: str, action: str) -> int:
        rows = {"account": self.accounts, "contact": self.contacts, "case": self.cases}[kind]
        return sum(1 for row in rows if row.action == action)

    def counts(self) -> dict[str, dict[str, int]]:
        return {kind: {action: self.count(kind, action)
                       for action in (CREATED, UPDATED, UNCHANGED)}
                for kind in ("account", "contact", "case")}

    @property
    def total(self) -> int:
        return len(self.accounts) + len(self.contacts) + len(self.cases)


def digest(values: Any) -> str:
    blob = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _action(known: Known, kind: str, external_id: str, row_digest: str
            ) -> tuple[str, int | None]:
    record = known.records.get((kind, external_id))
    if record is None:
        return CREATED, None
    object_id, old_digest = record
    return (UNCHANGED if old_digest == row_digest else UPDATED), object_id


def _account_row(known: Known, source: SourceAccount) -> Row:
    values = {"name": source.name.strip(), "domain": source.domain.strip().lower()}
    check_texts(values, values)
    if not values["name"]:
        raise Invalid("An account needs a name.", field="name")
    check_fits(Account, values)
    row_digest = digest(values)
    action, existing = _action(known, "account", source.external_id, row_digest)
    if existing is None and values["name"].casefold() in known.accounts_by_name:
        # An account of that name exists here already: the import joins it, untouched.
        action, existing = UNCHANGED, known.accounts_by_name[values["name"].casefold()]
    return Row("account", source.external_id, str(source.where), action, row_digest,
               existing, values)


def _contact_row(known: Known, source: SourceContact) -> Row:
    values = {"email": source.email.strip().lower(), "name": source.name.strip(),
              "phone": source.phone.strip()}
    check_texts(values, values)
    try:
        validate_email(values["email"])
    except ValidationError:
        raise Invalid(f"{source.email!r} is not an email address.", field="email") from None
    check_fits(Contact, values)
    row_digest = digest({**values, "account": source.account_ref})
    action, existing = _action(known, "contact", source.external_id, row_digest)
    if existing is None and values["email"] in known.contacts_by_email:
        # The person wrote in before (or came from another import): link, do not overwrite.
        action, existing = UNCHANGED, known.contacts_by_email[values["email"]]
    return Row("contact", source.external_id, str(source.where), action, row_digest,
               existing, values, account_ref=source.account_ref)


def _closed_reason(known: Known, raw: str, mapping: Mapping, status: Status) -> str:
    if status not in (Status.RESOLVED, Status.CLOSED):
        return ""
    if raw.strip() or mapping.value("closed_reason", raw) is not None:
        return picklist_value("closed_reason", raw, mapping, known.closed_reasons)
    if DEFAULT_CLOSED_REASON in known.closed_reasons:
        return DEFAULT_CLOSED_REASON
    if not known.closed_reasons:
        raise Invalid("This tenant has no closed reasons for resolved and closed cases.",
                      field="closed_reason")
    return known.closed_reasons[0]


def _notes(known: Known, source: SourceCase) -> list[tuple[str, ImportedNote]]:
    notes = []
    for note in source.notes:
        email = note.author_email.strip().lower()
        member = None if note.by_customer else known.members_by_email.get(email)
        notes.append((f"{source.external_id}/{note.external_id}", ImportedNote(
            body=note.body, is_public=note.is_public, created_at=note.created_at,
            by_customer=note.by_customer, author_id=member,
            author_name=note.author_name.strip()[:200],
            author_email=email[:254])))
    return notes


def _first_response(source: SourceCase, notes: list[ImportedNote]) -> datetime | None:
    if source.first_response_at is not None:
        return max(source.first_response_at, source.created_at)
    answers = [n.created_at for n in notes
               if n.is_public and not n.by_customer and n.created_at >= source.created_at]
    return min(answers) if answers else None


def _owner(known: Known, source: SourceCase) -> int | None:
    if source.owner_email:
        return known.members_by_email.get(source.owner_email.strip().lower())
    if source.owner_name:
        return known.members_by_name.get(source.owner_name.strip().casefold())
    return None


def _case_row(known: Known, source: SourceCase, mapping: Mapping, origin: str) -> Row:
    notes = _notes(known, source)
    note_times = [n.created_at for _, n in notes]
    updated = max([source.updated_at or source.created_at, *note_times])
    status = status_of(source.status, mapping, is_closed=source.is_closed,
                       has_resolved=source.resolved_at is not None,
                       has_closed=source.closed_at is not None)
    closed = source.closed_at or (updated if status == Status.CLOSED else None)
    resolved = source.resolved_at or (closed or updated
                                      if status in (Status.RESOLVED, Status.CLOSED) else None)
    types = known.picklists.all("type")
    category = picklist_value("category", source.category, mapping,
                              known.picklists.all("category"))
    data = ImportedCase(
        subject=source.subject, created_at=source.created_at, updated_at=updated,
        origin=f"{ORIGIN_NAMES[origin]} #{source.external_id}",
        description=source.description, status=status,
        priority=priority_of(source.priority, mapping),
        type=picklist_value("type", source.type, mapping, types, defaults=TYPES),
        category=category,
        subcategory=picklist_value("subcategory", source.subcategory, mapping,
                                   known.picklists.values["subcategory"].get(category, set())),
        source=channel_of(source.channel, mapping), tags=source.tags,
        custom_fields=known.custom.values(source.custom), owner_id=_owner(known, source),
        first_response_at=_first_response(source, [n for _, n in notes]),
        resolved_at=resolved, closed_at=closed,
        closed_reason=_closed_reason(known, source.closed_reason, mapping, status),
        notes=[n for _, n in notes])
    data = imported_case_check(data, picklists=known.picklists, specs=known.custom.specs)
    values = data.values()
    row_digest = digest({**values, "account": source.account_ref,
                         "contact": source.contact_ref, "notes": [k for k, _ in notes]})
    action, existing = _action(known, "case", source.external_id, row_digest)
    if action == UPDATED:
        notes = [(k, n) for k, n in notes if ("note", k) not in known.records]
    keyed = sorted(notes, key=lambda item: item[1].created_at)
    return Row("case", source.external_id, str(source.where), action, row_digest, existing,
               values, account_ref=source.account_ref, contact_ref=source.contact_ref,
               case=data, notes=keyed)


def import_plan(export: Export, known: Known, *, source: str, mapping: Mapping) -> Plan:
    """The plan for an export: every row to write, and every row refused with the reason.

    A case whose contact or account row was refused is refused too (it would otherwise be
    written without them, and not be fixed by a re-run)."""
    plan = Plan(source=source, problems=list(export.problems), skipped=list(export.skipped))
    refused: dict[tuple[str, str], str] = {}
    for account in _unique(plan, "account", export.accounts):
        try:
            plan.accounts.append(_account_row(known, account))
        except Invalid as error:
            plan.problems.append(Problem(str(account.where), error.detail))
            refused[("account", account.external_id)] = str(account.where)
    for contact in _unique(plan, "contact", export.contacts):
        try:
            plan.contacts.append(_contact_row(known, contact))
        except Invalid as error:
            plan.problems.append(Problem(str(contact.where), error.detail))
            refused[("contact", contact.external_id)] = str(contact.where)
    seen_cases: set[str] = set()
    for item in export.cases:
        try:
            if item.external_id in seen_cases:
                raise Invalid(f"a second case with id {item.external_id}")
            seen_cases.add(item.external_id)
            for kind, ref in (("contact", item.contact_ref), ("account", item.account_ref)):
                if ref is not None and (kind, ref) in refused:
                    raise Invalid(f"its {kind} ({refused[(kind, ref)]}) was refused")
            plan.cases.append(_case_row(known, item, mapping, source))
        except Invalid as error:
            plan.problems.append(Problem(str(item.where), error.detail))
    _drop_unused(plan, export)
    return plan


def _drop_unused(plan: Plan, export: Export) -> None:
    """Leaves out the contacts and accounts read off case rows that no planned case uses:
    a refused row brings in nothing, not even its customer."""
    embedded = {("contact", c.external_id) for c in export.contacts if c.embedded}
    embedded |= {("account", a.external_id) for a in export.accounts if a.embedded}
    if not embedded:
        return
    used = {("contact", r.contact_ref) for r in plan.cases} | {
        ("account", r.account_ref) for r in plan.cases}
    plan.contacts = [r for r in plan.contacts
                     if ("contact", r.external_id) not in embedded
                     or ("contact", r.external_id) in used]
    used |= {("account", r.account_ref) for r in plan.contacts}
    plan.accounts = [r for r in plan.accounts
                     if ("account", r.external_id) not in embedded
                     or ("account", r.external_id) in used]


def _unique[T: (SourceAccount, SourceContact)](plan: Plan, kind: str, items: list[T]
                                              ) -> list[T]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.external_id in seen:
            plan.problems.append(Problem(str(item.where),
                                         f"a second {kind} with id {item.external_id}"))
        else:
            seen.add(item.external_id)
            unique.append(item)
    return unique
