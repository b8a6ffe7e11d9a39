"""Making cases: one (`case_create`, idempotent by key), many in one transaction
(`case_create_many`), and a follow-up of a closed case (`case_follow_up_create`). Each case
is numbered, routed, given its SLA clocks and its timeline in the transaction that makes it.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection

from casedesk.cases.changes import case_change
from casedesk.cases.customfields import clean_custom_fields
from casedesk.cases.lifecycle import (
    Status,
)
from casedesk.cases.models import (
    Case,
    EventKind,
    IdempotencyKey,
    PicklistKind,
    Source,
    TimelineEvent,
)
from casedesk.cases.numbering import next_case_number, next_case_numbers
from casedesk.cases.picklists import Picklists, field_specs
from casedesk.cases.sla_clocks import (
    sla_start,
)
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import (
    Linked,
    check_case_text,
    check_references,
    clean_tags,
    notify_owner,
    routed_event,
)
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits, clipped
from casedesk.core.priority import Priority
from casedesk.core.rows import insert
from casedesk.routing.models import Queue
from casedesk.routing.rules import CaseFacts
from casedesk.routing.services import (
    Route,
    account_facts,
    assign_in_queue,
    decide,
)
from casedesk.tenancy.models import Tenant, User


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
    # False: routing picks the queue only, and the channel offers the case to an agent
    # itself (a chat is pushed to someone who accepts it, not given to the queue's pick).
    assign: bool = True

    def digest(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


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
    check_case_text(values)
    if data.type or data.category or data.subcategory:  # else there is nothing to check
        picklists = Picklists.of(tenant)
        picklists.check(PicklistKind.TYPE, data.type)
        picklists.check(PicklistKind.CATEGORY, data.category)
        picklists.check(PicklistKind.SUBCATEGORY, data.subcategory, parent=data.category)
    if linked is None:
        linked = check_references(tenant, values, account_given=data.account_id is not None)
    else:
        values["contact_id"] = linked.contact.pk if linked.contact is not None else None
        values["account_id"] = linked.account.pk if linked.account is not None else None
    tags = clean_tags(data.tags)
    custom_fields = clean_custom_fields(specs, data.custom_fields)
    route = facts = None
    if tenant.routing_enabled and data.owner_id is None:
        facts = _new_case_facts(values, tags, custom_fields, linked)
        if queues is None and linked.queue is not None:
            queues = {("given", linked.queue.pk): linked.queue}  # read by check_references
        route = decide(tenant, facts, given_queue_id=data.queue_id, queues=queues)
    return _Plan(data, values, tags, custom_fields, linked, route, facts)


def _build(tenant: Tenant, actor: User | None, plan: _Plan, number: int, now: datetime
           ) -> Case:
    """The new case, unsaved, with its agent picked and its clocks set; call it inside the
    transaction that saves it (the queue's strategy locks rows)."""
    data, values, route = plan.data, plan.values, plan.route
    queue_id, owner_id, priority, tags = data.queue_id, data.owner_id, data.priority, plan.tags
    if route is not None and plan.facts is not None:
        if data.assign:
            assign_in_queue(tenant, route, plan.facts)
        queue_id = route.queue.pk if route.queue is not None else None
        owner_id = route.owner_id
        priority = route.priority or priority
        tags = clean_tags([*tags, *route.tags])
    case = Case(
        tenant=tenant, number=number, subject=values["subject"], description=data.description,
        priority=priority, type=data.type, category=data.category,
        subcategory=data.subcategory, source=data.source, language=values["language"],
        account_id=values["account_id"], contact_id=values["contact_id"], deal_id=data.deal_id,
        queue_id=queue_id, owner_id=owner_id, created_by=actor, tags=tags,
        custom_fields=plan.custom_fields, follow_up_of_id=data.follow_up_of_id,
        status=Status.NEW, created_at=now, updated_at=now, status_changed_at=now,
    )
    # The records just read: the SLA policies, the rules and the answer use them without
    # reading again.
    if plan.linked.account is not None:
        case.account = plan.linked.account
    if plan.linked.contact is not None:
        case.contact = plan.linked.contact
    queue = route.queue if route is not None else plan.linked.queue
    if queue is not None and queue.pk == queue_id:
        case.queue = queue
    sla_start(case)
    return case


def _creation_events(case: Case, actor: User | None, plan: _Plan, now: datetime
                     ) -> list[TimelineEvent]:
    events = [event(case, actor, EventKind.CREATED, now, new_value={
        "status": case.status, "priority": Priority(case.priority).label,
        "queue_id": case.queue_id, "owner_id": case.owner_id, "source": case.source,
    })]
    route = plan.route
    # A queue given by the caller is not a routing decision, unless its strategy then picked
    # (or failed to pick) the agent.
    if route is not None and (route.via != "given" or route.assignment):
        events.append(routed_event(case, actor, route, now))
    if plan.data.follow_up_of_id:
        parent = Case.objects.get(pk=plan.data.follow_up_of_id, tenant_id=case.tenant_id)
        events.append(event(parent, actor, EventKind.FOLLOW_UP_CREATED, now,
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
        check_fits(IdempotencyKey, {"Idempotency-Key": idempotency_key},
                   fields={"Idempotency-Key": "key"})
        replay = _idempotent_replay(tenant, idempotency_key, digest)
        if replay is not None:
            return replay, False
    plan = _plan(tenant, data, specs=field_specs(tenant, source=data.source))
    try:
        with case_change():
            case = _build(tenant, actor, plan, next_case_number(tenant), now)
            insert([case], connection)
            timeline_write(_creation_events(case, actor, plan, now))
            if case.owner_id is not None:
                notify_owner(case, actor, now)
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
    specs: dict[str, list[Any]] = {}
    queues: dict[Any, Queue | None] = {}
    plans = []
    for data, linked in items:
        if data.source not in specs:
            specs[data.source] = field_specs(tenant, source=data.source)
        plans.append(_plan(tenant, data, specs=specs[data.source], linked=linked,
                           queues=queues))
    with case_change():
        numbers = next_case_numbers(tenant, len(plans))
        cases = [_build(tenant, actor, plan, number, now)
                 for plan, number in zip(plans, numbers, strict=True)]
        Case.objects.bulk_create(cases)
        timeline_write([
            event for case, plan in zip(cases, plans, strict=True)
            for event in _creation_events(case, actor, plan, now)])
        for case in cases:
            if case.owner_id is not None:
                notify_owner(case, actor, now)
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


def _idempotent_replay(tenant: Tenant, key: str, digest: str) -> Case | None:
    # Nearly every key is new: two columns, and the case only for a replay.
    record = (IdempotencyKey.objects.filter(tenant=tenant, key=key)
              .values_list("request_digest", "case_id").first())
    if record is None:
        return None
    if record[0] != digest:
        raise Invalid("This Idempotency-Key was used for a different request; "
                      "use a new key for a new case.", field="Idempotency-Key")
    return Case.objects.select_related("tenant").get(pk=record[1], tenant=tenant)


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
            subject=subject or clipped(Case, "subject", f"Follow-up: {case.subject}"),
            description=description or f"Follow-up of {case.display_number}.",
            priority=case.priority, type=case.type, category=case.category,
            subcategory=case.subcategory, source=case.source, account_id=case.account_id,
            contact_id=case.contact_id, deal_id=case.deal_id, queue_id=case.queue_id,
            follow_up_of_id=case.pk,
        ),
    )
    return follow_up
