"""Every change of a case goes through one function here.

Each function runs in one transaction that locks the case row, writes the change and its
timeline events together (the timeline doubles as the automation event log), and refuses bad
input with a DomainError before anything is written.
"""

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from casedesk.cases.customfields import clean_custom_fields
from casedesk.cases.hooks import public_reply_made
from casedesk.cases.lifecycle import (
    CaseState,
    ReopenPolicy,
    Status,
    TransitionPlan,
    TransitionRefused,
    is_open,
    plan_transition,
)
from casedesk.cases.mentions import Mentionable, find_mentions
from casedesk.cases.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    EventKind,
    IdempotencyKey,
    Note,
    PicklistKind,
    Priority,
    Source,
    TimelineEvent,
)
from casedesk.cases.numbering import next_case_number, next_case_numbers
from casedesk.cases.picklists import INTERNAL_REFERRAL, Picklists, field_specs
from casedesk.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from casedesk.core.text import check_text, check_texts, one_line
from casedesk.crm.models import Account, Contact, Deal
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import notify
from casedesk.routing.models import Queue
from casedesk.routing.rules import CaseFacts
from casedesk.routing.services import (
    Route,
    account_facts,
    assign_in_queue,
    decide,
    facts_of_case,
)
from casedesk.sla.services import (
    sla_agent_answered,
    sla_customer_wrote,
    sla_mark_late,
    sla_recompute,
    sla_start,
    sla_status_changed,
)
from casedesk.tenancy.models import Membership, Tenant, User

MAX_TAGS = 50
# Changes of these fields may change which SLA policy a case falls under.
SLA_FACTS = {"priority", "type", "category", "subcategory", "source", "language", "account_id",
             "contact_id", "tags", "custom_fields"}
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")
MAX_TAG_LENGTH = 50
# The text a case stores, checked (`casedesk.core.text`) before anything else reads it.
TEXT_FIELDS = ("subject", "description", "type", "category", "subcategory", "sub_status",
               "source", "language", "tags")


@dataclass
class CaseInput:
    """What a new case is made of, whichever channel it came from."""

    subject: str
    description: str = ""
    priority: int = Priority.NORMAL
    type: str = ""
    category: str = ""
    subcategory: str = ""
    source: str = Source.API
    language: str = ""
    account_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None
    queue_id: int | None = None
    owner_id: int | None = None
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    follow_up_of_id: int | None = None

    def digest(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


# Fields a PATCH may change, and the model attribute each writes.
EDITABLE_FIELDS = {
    "subject": "subject", "description": "description", "priority": "priority",
    "type": "type", "category": "category", "subcategory": "subcategory",
    "sub_status": "sub_status", "source": "source", "language": "language",
    "account_id": "account_id",
    "contact_id": "contact_id", "deal_id": "deal_id", "queue_id": "queue_id",
    "owner_id": "owner_id", "tags": "tags", "custom_fields": "custom_fields",
}


def _event(case: Case, actor: User | None, kind: str, now: datetime, **values: Any
           ) -> TimelineEvent:
    return TimelineEvent(tenant_id=case.tenant_id, case=case, actor=actor, kind=kind,
                         created_at=now, **values)


def _lock(case: Case) -> Case:
    """The case re-read under a row lock, so concurrent changes queue instead of clobbering."""
    return (Case.objects.select_for_update(of=("self",))
              .select_related("tenant", "contact").get(pk=case.pk, tenant_id=case.tenant_id))


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    if len(cleaned) > MAX_TAGS:
        raise Invalid(f"A case has at most {MAX_TAGS} tags.", field="tags")
    for tag in cleaned:
        if len(tag) > MAX_TAG_LENGTH:
            raise Invalid(f"Tag {tag[:20]!r}… is longer than {MAX_TAG_LENGTH} characters.",
                          field="tags")
    return cleaned


@dataclass(frozen=True)
class Linked:
    """The CRM records a case's ids name, as read while checking them (so nobody reads them
    again)."""

    account: Account | None = None
    contact: Contact | None = None


def _check_references(tenant: Tenant, values: dict[str, Any], *, account_given: bool
                      ) -> Linked:
    """Refuses ids that do not name a record of this tenant, and links that disagree.

    A contact or deal brings its account along unless the caller named the account itself.
    """
    account_id = values.get("account_id")
    account = None
    if account_id is not None:
        account = Account.objects.filter(tenant=tenant, pk=account_id).first()
        if account is None:
            raise Invalid(f"No account with id {account_id}.", field="account_id")
    contact = None
    linked: list[tuple[str, Contact | Deal | None]] = []
    if values.get("contact_id") is not None:
        contact = Contact.objects.filter(tenant=tenant, pk=values["contact_id"]).first()
        linked.append(("contact", contact))
    if values.get("deal_id") is not None:
        linked.append(("deal", Deal.objects.filter(tenant=tenant,
                                                   pk=values["deal_id"]).first()))
    for name, record in linked:
        if record is None:
            raise Invalid(f"No {name} with id {values[name + '_id']}.", field=f"{name}_id")
        if record.account_id is None or record.account_id == account_id:
            continue
        if account_given and account_id is not None:
            raise Invalid(f"The {name} {record.pk} belongs to account {record.account_id}, "
                          f"not {account_id}.", field=f"{name}_id")
        values["account_id"] = account_id = record.account_id
        account_given = True
    queue_id = values.get("queue_id")
    if queue_id is not None and not Queue.objects.filter(tenant=tenant, pk=queue_id,
                                                         is_active=True).exists():
        raise Invalid(f"No active queue with id {queue_id}.", field="queue_id")
    owner_id = values.get("owner_id")
    if owner_id is not None and not Membership.objects.filter(
        tenant=tenant, user_id=owner_id, is_active=True, user__is_active=True
    ).exists():
        raise Invalid(f"No active member of this tenant has user id {owner_id}.",
                      field="owner_id")
    if account_id is not None and (account is None or account.pk != account_id):
        account = Account.objects.filter(tenant=tenant, pk=account_id).first()
    return Linked(account=account, contact=contact)


def _check_text(values: dict[str, Any]) -> None:
    """Refuses text the database cannot store (NUL, lone surrogates) in any field, and makes
    the subject one line: line breaks and tabs pasted into it become single spaces, since a
    subject becomes the Subject header of every mail about the case."""
    check_texts(values, TEXT_FIELDS)  # custom fields: `clean_custom_fields`, field by field
    if "subject" in values:
        subject = one_line(values["subject"] or "")
        if not subject:
            raise Invalid("A case needs a subject.", field="subject")
        values["subject"] = subject[:255].rstrip()
    if "priority" in values and values["priority"] not in Priority.values:
        raise Invalid("Unknown priority.", field="priority")
    if "source" in values and values["source"] not in Source.values:
        raise Invalid(f"Unknown source; one of: {', '.join(Source.values)}.", field="source")
    if "language" in values:
        language = (values["language"] or "").strip()
        if language and not LANGUAGE_TAG.fullmatch(language):
            raise Invalid("A language is a tag such as en, de or pt-BR.", field="language")
        values["language"] = language


def _reopen_policy(tenant: Tenant) -> ReopenPolicy:
    return ReopenPolicy(limit=tenant.reopen_limit, window=tenant.reopen_window)


@dataclass
class _Plan:
    """A new case checked and routed (reads only), ready to be written."""

    data: CaseInput
    values: dict[str, Any]
    tags: list[str]
    custom_fields: dict[str, Any]
    linked: Linked
    route: Route | None
    facts: CaseFacts | None


def _plan(tenant: Tenant, data: CaseInput, *, specs: list[Any], linked: Linked | None = None,
          queues: dict[Any, Queue | None] | None = None) -> _Plan:
    """Checks a new case's input and decides its route. `linked` is for callers that have
    just read the case's contact (and its account) in this tenant themselves."""
    values = asdict(data)
    _check_text(values)
    if data.type or data.category or data.subcategory:  # else there is nothing to check
        picklists = Picklists(tenant)
        picklists.check(PicklistKind.TYPE, data.type)
        picklists.check(PicklistKind.CATEGORY, data.category)
        picklists.check(PicklistKind.SUBCATEGORY, data.subcategory, parent=data.category)
    if linked is None:
        linked = _check_references(tenant, values, account_given=data.account_id is not None)
    else:
        values["contact_id"] = linked.contact.pk if linked.contact is not None else None
        values["account_id"] = linked.account.pk if linked.account is not None else None
    tags = _clean_tags(data.tags)
    custom_fields = clean_custom_fields(specs, data.custom_fields)
    route = facts = None
    if tenant.routing_enabled and data.owner_id is None:
        facts = _new_case_facts(values, tags, custom_fields, linked)
        route = decide(tenant, facts, given_queue_id=data.queue_id, queues=queues)
    return _Plan(data, values, tags, custom_fields, linked, route, facts)


def _build(tenant: Tenant, actor: User | None, plan: _Plan, number: int, now: datetime
           ) -> Case:
    """The new case, unsaved, with its agent picked and its clocks set; call it inside the
    transaction that saves it (the queue's strategy locks rows)."""
    data, values, route = plan.data, plan.values, plan.route
    queue_id, owner_id, priority, tags = data.queue_id, data.owner_id, data.priority, plan.tags
    if route is not None and plan.facts is not None:
        assign_in_queue(tenant, route, plan.facts)
        queue_id = route.queue.pk if route.queue is not None else None
        owner_id = route.owner_id
        priority = route.priority or priority
        tags = _clean_tags([*tags, *route.tags])
    case = Case(
        tenant=tenant, number=number, subject=values["subject"], description=data.description,
        priority=priority, type=data.type, category=data.category,
        subcategory=data.subcategory, source=data.source, language=values["language"],
        account_id=values["account_id"], contact_id=values["contact_id"], deal_id=data.deal_id,
        queue_id=queue_id, owner_id=owner_id, created_by=actor, tags=tags,
        custom_fields=plan.custom_fields, follow_up_of_id=data.follow_up_of_id,
        status=Status.NEW, created_at=now, updated_at=now,
    )
    # The records just read: the SLA policies match on them without reading again.
    if plan.linked.account is not None:
        case.account = plan.linked.account
    if plan.linked.contact is not None:
        case.contact = plan.linked.contact
    sla_start(case)
    return case


def _creation_events(case: Case, actor: User | None, plan: _Plan, now: datetime
                     ) -> list[TimelineEvent]:
    events = [_event(case, actor, EventKind.CREATED, now, new_value={
        "status": case.status, "priority": Priority(case.priority).label,
        "queue_id": case.queue_id, "owner_id": case.owner_id, "source": case.source,
    })]
    route = plan.route
    # A queue given by the caller is not a routing decision, unless its strategy then picked
    # (or failed to pick) the agent.
    if route is not None and (route.via != "given" or route.assignment):
        events.append(_routed_event(case, actor, route, now))
    if plan.data.follow_up_of_id:
        parent = Case.objects.get(pk=plan.data.follow_up_of_id, tenant_id=case.tenant_id)
        events.append(_event(parent, actor, EventKind.FOLLOW_UP_CREATED, now,
                             new_value=case.number,
                             message=f"Follow-up case {case.display_number} created."))
    return events


def case_create(*, tenant: Tenant, actor: User | None, data: CaseInput, now: datetime,
                idempotency_key: str | None = None) -> tuple[Case, bool]:
    """Creates a case from any channel; returns (case, created).

    With an `idempotency_key`, a repeat of the same request returns the case the first one
    made (created=False), even when both arrive at once; reusing a key for a different
    request is refused.
    """
    digest = data.digest() if idempotency_key else ""
    if idempotency_key:
        replay = _idempotent_replay(tenant, idempotency_key, digest)
        if replay is not None:
            return replay, False
    plan = _plan(tenant, data, specs=field_specs(tenant))
    try:
        with transaction.atomic():
            case = _build(tenant, actor, plan, next_case_number(tenant), now)
            case.save(force_insert=True)
            TimelineEvent.objects.bulk_create(_creation_events(case, actor, plan, now))
            if case.owner_id is not None:
                _notify_owner(case, actor, now)
            if idempotency_key:
                IdempotencyKey.objects.create(tenant=tenant, key=idempotency_key,
                                              request_digest=digest, case=case, created_at=now)
    except IntegrityError:
        if idempotency_key:
            replay = _idempotent_replay(tenant, idempotency_key, digest)
            if replay is not None:
                return replay, False
        raise
    return case, True


def case_create_many(*, tenant: Tenant, actor: User | None,
                     items: Sequence[tuple[CaseInput, Linked | None]], now: datetime
                     ) -> list[Case]:
    """Creates many cases at once (a batch of mail): each checked, routed, given its clocks
    and its timeline as `case_create` does, written together in one transaction. One input
    refused refuses them all; the caller files those one by one instead."""
    specs = field_specs(tenant)
    queues: dict[Any, Queue | None] = {}
    plans = [_plan(tenant, data, specs=specs, linked=linked, queues=queues)
             for data, linked in items]
    with transaction.atomic():
        numbers = next_case_numbers(tenant, len(plans))
        cases = [_build(tenant, actor, plan, number, now)
                 for plan, number in zip(plans, numbers, strict=True)]
        Case.objects.bulk_create(cases)
        TimelineEvent.objects.bulk_create([
            event for case, plan in zip(cases, plans, strict=True)
            for event in _creation_events(case, actor, plan, now)])
        for case in cases:
            if case.owner_id is not None:
                _notify_owner(case, actor, now)
    return cases


def _new_case_facts(values: dict[str, Any], tags: list[str], custom_fields: dict[str, Any],
                    linked: Linked) -> CaseFacts:
    account, contact = linked.account, linked.contact
    return CaseFacts(
        subject=values["subject"], description=values.get("description") or "",
        category=values["category"], subcategory=values["subcategory"], type=values["type"],
        source=values["source"], language=values["language"], priority=values["priority"],
        tags=tuple(tags), custom=custom_fields,
        account=account_facts(account) if account is not None else None,
        contact_id=values.get("contact_id"), contact_email=contact.email if contact else "",
    )


def _routed_event(case: Case, actor: User | None, route: Route, now: datetime
                  ) -> TimelineEvent:
    owner_name = ""
    if route.owner_id is not None:
        owner = User.objects.filter(pk=route.owner_id).only("full_name", "email").first()
        owner_name = owner.display_name if owner is not None else ""
    return _event(case, actor, EventKind.ROUTED, now, new_value=route.as_value(),
                  message=route.message(owner_name))


def _apply_route(case: Case, actor: User | None, route: Route, now: datetime
                 ) -> list[TimelineEvent]:
    """Writes a re-routing onto a locked case (queue, owner, priority, tags) and returns the
    timeline event that records it."""
    old = {"queue_id": case.queue_id, "owner_id": case.owner_id, "priority": case.priority,
           "tags": list(case.tags or [])}
    case.queue_id = route.queue.pk if route.queue is not None else None
    case.owner_id = route.owner_id
    case.priority = route.priority or case.priority
    case.tags = _clean_tags([*(case.tags or []), *route.tags])
    event = _routed_event(case, actor, route, now)
    event.old_value = old
    return [event]


def case_reroute(*, case: Case, actor: User | None, now: datetime) -> Case:
    """Routes an open case again with the tenant's current rules, fallback map and queue
    strategies, as if it were new; its owner becomes whoever that picks (or nobody)."""
    with transaction.atomic():
        case = _lock(case)
        if not is_open(Status(case.status)):
            raise Conflict(f"A {case.status} case is not routed again; re-open it first.")
        if not case.tenant.routing_enabled:
            raise Conflict("Routing is turned off for this tenant.")
        old_owner = case.owner_id
        facts = facts_of_case(case)
        route = decide(case.tenant, facts)
        assign_in_queue(case.tenant, route, facts, rerouting=case.pk)
        events = _apply_route(case, actor, route, now)
        sla_recompute(case)
        case.updated_at = now
        case.save()
        TimelineEvent.objects.bulk_create(events)
        if case.owner_id is not None and case.owner_id != old_owner:
            _notify_owner(case, actor, now)
    return case


def _notify_owner(case: Case, actor: User | None, now: datetime) -> None:
    assert case.owner_id is not None
    notify(case=case, recipients=[case.owner_id], actor=actor, kind=NotificationKind.ASSIGNED,
           now=now, message=f"{case.tenant.case_prefix}-{case.number} was assigned to you: "
                            f"{case.subject}")


def _idempotent_replay(tenant: Tenant, key: str, digest: str) -> Case | None:
    record = (IdempotencyKey.objects.select_related("case__tenant")
              .filter(tenant=tenant, key=key).first())
    if record is None:
        return None
    if record.request_digest != digest:
        raise Invalid("This Idempotency-Key was used for a different request; "
                      "use a new key for a new case.", field="Idempotency-Key")
    return record.case


def case_follow_up_create(*, case: Case, actor: User | None, now: datetime,
                          subject: str | None = None, description: str = "") -> Case:
    """A new case linked to a closed `case` (typically past its reopen window), carrying its
    account, contact, queue and classification."""
    if case.status != Status.CLOSED:
        raise Conflict(f"{case.display_number} is {case.status}; follow-up cases are for "
                       "closed cases.")
    follow_up, _ = case_create(
        tenant=case.tenant, actor=actor, now=now,
        data=CaseInput(
            subject=subject or f"Follow-up: {case.subject}",
            description=description or f"Follow-up of {case.display_number}.",
            priority=case.priority, type=case.type, category=case.category,
            subcategory=case.subcategory, source=case.source, account_id=case.account_id,
            contact_id=case.contact_id, deal_id=case.deal_id, queue_id=case.queue_id,
            follow_up_of_id=case.pk,
        ),
    )
    return follow_up


def case_update(*, case: Case, actor: User | None, changes: dict[str, Any], now: datetime
                ) -> Case:
    """Changes fields of a case (not its status: that is `case_transition`).

    Each changed field gets a timeline event with its old and new value; unchanged fields are
    ignored, so sending the same PATCH twice records nothing the second time.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if "status" in unknown:
        raise Invalid("Change the status through the transitions endpoint, so the lifecycle "
                      "can check the move.", field="status")
    if unknown:
        raise Invalid(f"Field {sorted(unknown)[0]!r} cannot be changed.",
                      field=sorted(unknown)[0])
    with transaction.atomic():
        case = _lock(case)
        values = dict(changes)
        _check_text(values)
        merged = {name: values.get(name, getattr(case, attr))
                  for name, attr in EDITABLE_FIELDS.items()}
        picklists = Picklists(case.tenant)
        for kind in ("type", "category", "subcategory", "sub_status"):
            if kind in values or (kind == "subcategory" and "category" in values):
                parent = {"subcategory": merged["category"], "sub_status": case.status
                          }.get(kind, "")
                picklists.check(kind, merged[kind], parent=parent)
        if {"account_id", "contact_id", "deal_id", "queue_id", "owner_id"} & set(values):
            refs = {k: merged[k] for k in ("account_id", "contact_id", "deal_id", "queue_id",
                                           "owner_id")}
            _check_references(case.tenant, refs, account_given="account_id" in values)
            merged.update(refs)
            if refs["account_id"] != case.account_id:
                values["account_id"] = refs["account_id"]
        if "tags" in values:
            merged["tags"] = _clean_tags(values["tags"] or [])
        if "custom_fields" in values:
            merged["custom_fields"] = clean_custom_fields(
                field_specs(case.tenant), values["custom_fields"] or {},
                current=case.custom_fields)
        events = []
        for name in values:
            attr = EDITABLE_FIELDS[name]
            old, new = getattr(case, attr), merged[name]
            if name == "description" and new is None:
                new = ""
            if old == new:
                continue
            setattr(case, attr, new)
            events.append(_event(case, actor, EventKind.FIELD_CHANGED, now, field=name,
                                 old_value=_shown(name, old), new_value=_shown(name, new)))
        old_owner = case.owner_id
        if (any(e.field == "category" for e in events) and case.tenant.reroute_on_category_change
                and case.tenant.routing_enabled and is_open(Status(case.status))
                and not {"queue_id", "owner_id"} & set(values)):
            facts = facts_of_case(case)
            route = decide(case.tenant, facts)
            assign_in_queue(case.tenant, route, facts, rerouting=case.pk)
            events.extend(_apply_route(case, actor, route, now))
        rerouted = any(e.kind == EventKind.ROUTED for e in events)
        if rerouted or SLA_FACTS & {e.field for e in events}:
            sla_recompute(case)
        if events:
            case.updated_at = now
            case.save()
            TimelineEvent.objects.bulk_create(events)
            if case.owner_id is not None and (case.owner_id != old_owner or any(
                    e.field == "owner_id" for e in events)):
                _notify_owner(case, actor, now)
    return case


def _shown(name: str, value: Any) -> Any:
    if name == "priority" and value is not None:
        return Priority(value).label
    return value


def _apply_plan(case: Case, plan: TransitionPlan, actor: User | None, now: datetime,
                *, note: Note | None = None, message: str = "") -> TimelineEvent:
    for attr, value in plan.changes.items():
        setattr(case, attr, value)
    sla_status_changed(case, plan.from_status.value, plan.to_status.value, now)
    if plan.to_status != Status.IN_PROGRESS or case.sub_status != INTERNAL_REFERRAL:
        case.sub_status = ""
    case.updated_at = now
    return _event(case, actor, EventKind.STATUS_CHANGED, now, field="status",
                  old_value=plan.from_status.value, new_value=plan.to_status.value,
                  note=note, message=message or ("Re-opened." if plan.is_reopen else ""))


def _state(case: Case) -> CaseState:
    open_assignments = CaseAssignment.objects.filter(
        case=case, status=AssignmentStatus.OPEN).count()
    return CaseState(status=Status(case.status), closed_at=case.closed_at,
                     reopen_count=case.reopen_count, open_assignments=open_assignments)


def case_transition(*, case: Case, actor: User | None, to: str, now: datetime, note: str = "",
                    closed_reason: str = "") -> Case:
    """Moves a case through the lifecycle, or refuses (Conflict / Invalid) and changes nothing.

    The note a move into resolved or closed needs is kept as an internal note on the case.
    """
    check_text(to, field="to", label="The status")
    check_text(note, field="note", label="The note")
    check_text(closed_reason, field="closed_reason", label="The closed reason")
    with transaction.atomic():
        case = _lock(case)
        closed_reasons = Picklists(case.tenant, kinds=(PicklistKind.CLOSED_REASON,)).all(
            PicklistKind.CLOSED_REASON)
        try:
            plan = plan_transition(
                _state(case), to, note=note, closed_reason=closed_reason,
                closed_reasons=closed_reasons, policy=_reopen_policy(case.tenant), now=now)
        except TransitionRefused as refusal:
            # Bad input (an unknown status, a missing note or reason) is a 422; a move the
            # lifecycle forbids in the case's current state is a 409.
            if refusal.field in ("to", "note", "closed_reason"):
                raise Invalid(refusal.detail, field=refusal.field) from None
            raise Conflict(refusal.detail) from None
        note_row = None
        if note.strip():
            note_row = Note.objects.create(tenant_id=case.tenant_id, case=case, author=actor,
                                           body=note.strip(), is_public=False, created_at=now)
        event = _apply_plan(case, plan, actor, now, note=note_row)
        case.save()
        event.save()
    return case


def case_add_note(*, case: Case, actor: User | None, body: str, is_public: bool,
                  now: datetime) -> Note:
    """Adds an internal note or a public reply; an agent's first public reply is the case's
    first response, and is never overwritten by a later one. A public reply is mailed to the
    customer and the people copied on the case (through the outbox, in this transaction)."""
    body = check_text((body or "").strip(), field="body", label="A note")
    if not body:
        raise Invalid("A note needs some text.", field="body")
    with transaction.atomic():
        case = _lock(case)
        note = Note.objects.create(tenant_id=case.tenant_id, case=case, author=actor, body=body,
                                   is_public=is_public, created_at=now)
        kind = EventKind.REPLY_ADDED if is_public else EventKind.NOTE_ADDED
        _event(case, actor, kind, now, note=note).save()
        fields = ["updated_at"]
        case.updated_at = now
        if is_public and actor is not None and case.first_response_at is None:
            case.first_response_at = now
            fields.append("first_response_at")
            if sla_mark_late(case, now, first_response=True, resolution=False):
                fields.append("first_response_breached_at")
        elif is_public and actor is not None and case.next_response_due_at is not None:
            sla_agent_answered(case, now)
            fields += ["next_response_due_at", "next_response_breached_at"]
        case.save(update_fields=fields)
        if is_public and actor is not None:
            public_reply_made(case, note, now)
        mentioned = mentions_in(case.tenant_id, body)
        if mentioned:
            who = actor.display_name if actor is not None else "Someone"
            notify(case=case, recipients=mentioned, actor=actor, kind=NotificationKind.MENTION,
                   now=now, message=f"{who} mentioned you on {case.display_number}: "
                                    f"{body[:200]}")
    return note


def mentions_in(tenant_id: int, body: str) -> list[int]:
    """User ids of the active members of the tenant that `body` mentions with `@name`."""
    if "@" not in body:
        return []
    members = [
        Mentionable(user_id=user_id, email=email, full_name=full_name)
        for user_id, email, full_name in Membership.objects.filter(
            tenant_id=tenant_id, is_active=True, user__is_active=True
        ).values_list("user_id", "user__email", "user__full_name")
    ]
    return find_mentions(body, members)


def _may_claim(membership: Membership, queue_id: int | None) -> bool:
    if membership.is_manager or queue_id is None:
        return True
    return Queue.members.through.objects.filter(queue_id=queue_id,
                                                membership_id=membership.pk).exists()


def _take(case: Case, membership: Membership, now: datetime) -> Case:
    """Makes `membership`'s user the owner of the locked `case`; new cases become open."""
    user = membership.user
    events = [_event(case, user, EventKind.CLAIMED, now, field="owner_id",
                     old_value=None, new_value=user.pk,
                     message=f"Claimed by {user.display_name}.")]
    case.owner = user
    if case.status == Status.NEW:
        plan = plan_transition(_state(case), Status.OPEN, now=now)
        events.append(_apply_plan(case, plan, user, now))
    case.updated_at = now
    case.save()
    TimelineEvent.objects.bulk_create(events)
    return case


def case_claim(*, case: Case, membership: Membership, now: datetime) -> Case:
    """The member takes an unassigned case. Of two members claiming at once exactly one wins;
    the other gets a Conflict naming the winner. Claiming one's own case again is a no-op."""
    with transaction.atomic():
        case = _lock(case)
        if case.owner_id == membership.user_id:
            return case
        if case.owner_id is not None:
            owner = User.objects.get(pk=case.owner_id)
            raise Conflict(f"{case.display_number} is already claimed by "
                           f"{owner.display_name}.")
        if not case.is_open:
            raise Conflict(f"{case.display_number} is {case.status}; only open cases can be "
                           "claimed.")
        if not _may_claim(membership, case.queue_id):
            raise PermissionDenied("Only members of the case's queue can claim it.")
        return _take(case, membership, now)


def case_claim_next(*, queue: Queue, membership: Membership, now: datetime) -> Case | None:
    """Claims the next case of `queue` in claim order (urgent and high first, then oldest).

    Concurrent callers skip each other's locked rows, so no two get the same case.
    """
    if not _may_claim(membership, queue.pk):
        raise PermissionDenied(f"Only members of the queue {queue.name} can claim from it.")
    with transaction.atomic():
        candidates = (
            Case.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("tenant")
            .filter(tenant_id=queue.tenant_id, queue=queue, owner__isnull=True,
                    status__in=[Status.NEW, Status.OPEN, Status.IN_PROGRESS,
                                Status.PENDING_CUSTOMER])
            .order_by("-priority", "created_at", "id")
        )
        case = candidates.first()
        if case is None:
            return None
        return _take(case, membership, now)


def case_change_owner(*, case: Case, actor: User | None, owner: User | None = None,
                      queue: Queue | None = None, now: datetime) -> Case:
    """Gives the case to a user (keeping its queue) or to a queue (leaving it unassigned)."""
    if (owner is None) == (queue is None):
        raise Invalid("Give the case either to a user or to a queue.", field="owner_id")
    with transaction.atomic():
        case = _lock(case)
        old = {"owner_id": case.owner_id, "queue_id": case.queue_id}
        if owner is not None:
            _check_references(case.tenant, {"owner_id": owner.pk}, account_given=False)
            case.owner = owner
            message = f"Assigned to {owner.display_name}."
        else:
            assert queue is not None
            _check_references(case.tenant, {"queue_id": queue.pk}, account_given=False)
            case.queue, case.owner = queue, None
            message = f"Moved to queue {queue.name}, unassigned."
        new = {"owner_id": case.owner_id, "queue_id": case.queue_id}
        if new == old:
            return case
        case.updated_at = now
        case.save()
        _event(case, actor, EventKind.OWNER_CHANGED, now, field="owner", old_value=old,
               new_value=new, message=message).save()
        if case.owner_id is not None and case.owner_id != old["owner_id"]:
            _notify_owner(case, actor, now)
    return case


def assignment_open(*, case: Case, actor: User | None, queue: Queue, description: str,
                    now: datetime) -> CaseAssignment:
    """Refers part of the work on a case to another team's queue.

    A new or open case moves to in progress (internal referral) through allowed moves.
    """
    description = check_text((description or "").strip(), field="description",
                             label="The description")
    if not description:
        raise Invalid("Describe what the other team should do.", field="description")
    with transaction.atomic():
        case = _lock(case)
        if queue.tenant_id != case.tenant_id:
            raise NotFound("No such queue.")
        if not case.is_open:
            raise Conflict(f"{case.display_number} is {case.status}; re-open it before "
                           "referring work.")
        assignment = CaseAssignment.objects.create(
            tenant_id=case.tenant_id, case=case, queue=queue, description=description,
            opened_by=actor, opened_at=now)
        events = [_event(case, actor, EventKind.ASSIGNMENT_OPENED, now,
                         new_value={"assignment_id": assignment.pk, "queue_id": queue.pk},
                         message=f"Referred to {queue.name}: {description}")]
        events.extend(_move_to_in_progress(case, actor, now))
        case.sub_status = INTERNAL_REFERRAL
        case.updated_at = now
        case.save()
        TimelineEvent.objects.bulk_create(events)
        notify(case=case, recipients=queue.members.values_list("user_id", flat=True),
               actor=actor, kind=NotificationKind.REFERRAL, now=now,
               message=f"{case.display_number} was referred to {queue.name}: {description}")
    return assignment


def _move_to_in_progress(case: Case, actor: User | None, now: datetime,
                         message: str = "") -> list[TimelineEvent]:
    events = []
    path = {Status.NEW: (Status.OPEN, Status.IN_PROGRESS), Status.OPEN: (Status.IN_PROGRESS,),
            Status.PENDING_CUSTOMER: (Status.IN_PROGRESS,)}.get(Status(case.status), ())
    for step in path:
        plan = plan_transition(_state(case), step, now=now)
        events.append(_apply_plan(case, plan, actor, now, message=message))
    return events


def assignment_close(*, assignment: CaseAssignment, actor: User | None, note: str,
                     now: datetime) -> CaseAssignment:
    """Closes a referral with a note; when the last one closes the case is back in progress."""
    note = check_text((note or "").strip(), field="note", label="The note")
    if not note:
        raise Invalid("Closing a case assignment needs a note.", field="note")
    with transaction.atomic():
        case = _lock(assignment.case)
        assignment = (CaseAssignment.objects.select_for_update(of=("self",))
                      .select_related("queue").get(pk=assignment.pk))
        if assignment.status == AssignmentStatus.CLOSED:
            raise Conflict("This case assignment is closed already.")
        assignment.status = AssignmentStatus.CLOSED
        assignment.closed_by, assignment.closed_at, assignment.closing_note = actor, now, note
        assignment.save()
        events = [_event(case, actor, EventKind.ASSIGNMENT_CLOSED, now,
                         old_value={"assignment_id": assignment.pk,
                                    "queue_id": assignment.queue_id},
                         message=f"Referral to {assignment.queue.name} closed: {note}")]
        if not CaseAssignment.objects.filter(case=case, status=AssignmentStatus.OPEN).exists():
            back = "All case assignments are closed; the case is back in progress."
            moves = _move_to_in_progress(case, actor, now, message=back) if case.is_open else []
            events.extend(moves)
            if not moves:
                events.append(_event(case, actor, EventKind.FIELD_CHANGED, now,
                                     field="sub_status", old_value=case.sub_status,
                                     new_value="", message=back))
            case.sub_status = ""
        case.updated_at = now
        case.save()
        TimelineEvent.objects.bulk_create(events)
    return assignment


@dataclass
class CustomerMessage:
    """What a customer wrote, from any channel (mail, portal)."""

    body: str
    author_email: str
    author_name: str = ""
    quoted: str = ""
    automatic: bool = False  # an auto-reply, bounce or list mail: recorded, changes nothing


def case_customer_reply(*, case: Case, message: CustomerMessage, now: datetime
                        ) -> tuple[Case, Note]:
    """Adds a customer's message to an open or resolved case, or to a closed case inside its
    reopen window, and moves the case as the lifecycle says: waiting on the customer → in
    progress, resolved or closed → open (a closed case only within its reopen limit and
    window). An automatic message is recorded and moves nothing. A closed case that may no
    longer re-open refuses (Conflict): the caller makes a follow-up case instead."""
    for name in ("body", "author_email", "author_name", "quoted"):
        check_text(getattr(message, name), field=name)
    with transaction.atomic():
        case = _lock(case)
        target: Status | None = None
        if not message.automatic:
            target = {Status.PENDING_CUSTOMER: Status.IN_PROGRESS, Status.RESOLVED: Status.OPEN,
                      Status.CLOSED: Status.OPEN}.get(Status(case.status))
        plan = None
        if target is not None:
            try:
                plan = plan_transition(_state(case), target, policy=_reopen_policy(case.tenant),
                                       now=now)
            except TransitionRefused as refusal:
                raise Conflict(refusal.detail) from None
        elif case.status == Status.CLOSED and not message.automatic:
            raise Conflict(f"{case.display_number} is closed.")
        note = Note.objects.create(
            tenant_id=case.tenant_id, case=case, author=None, body=message.body,
            is_public=True, author_email=message.author_email[:254],
            author_name=message.author_name[:200], quoted=message.quoted, created_at=now)
        who = message.author_name or message.author_email or "The customer"
        events = [_event(case, None, EventKind.CUSTOMER_REPLIED, now, note=note,
                         message=f"{who} wrote" + (" (automatic reply)."
                                                   if message.automatic else "."))]
        if plan is not None:
            events.append(_apply_plan(case, plan, None, now,
                                      message=f"Moved by {who}'s reply."))
        if not message.automatic:
            sla_customer_wrote(case, now)
        case.updated_at = now
        case.save()
        TimelineEvent.objects.bulk_create(events)
        if case.owner_id is not None and not message.automatic:
            notify(case=case, recipients=[case.owner_id], actor=None,
                   kind=NotificationKind.CUSTOMER_REPLY, now=now,
                   message=f"{case.display_number}: {who} replied: {message.body[:200]}")
    return case, note
