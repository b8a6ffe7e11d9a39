"""Every change of a case goes through a case service: this module (changes of fields,
status, notes, routing again, the customer's replies), `creation`, `ownership`,
`referrals`, and the set-based `batch` the sweeps use; `sla_clocks` keeps the clocks.

Each function runs in one transaction that locks the case row, writes the change and its
timeline events together (the timeline doubles as the automation event log), and refuses bad
input with a DomainError before anything is written.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from casedesk.cases.changes import case_change, changes_begun
from casedesk.cases.customfields import clean_custom_fields
from casedesk.cases.hooks import public_reply_made
from casedesk.cases.lifecycle import (
    Status,
    TransitionRefused,
    is_open,
    plan_transition,
)
from casedesk.cases.mentions import Mentionable, find_mentions
from casedesk.cases.models import Case, EventKind, Note, PicklistKind
from casedesk.cases.picklists import Picklists, field_specs
from casedesk.cases.sla_clocks import (
    sla_agent_answered,
    sla_customer_wrote,
    sla_mark_late,
    sla_recompute,
)
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import (
    SLA_FACTS,
    apply_plan,
    apply_route,
    check_case_text,
    check_references,
    clean_tags,
    lock_case,
    notify_owner,
    reopen_policy,
    state_of,
)
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import clipped
from casedesk.core.priority import Priority
from casedesk.core.rows import insert
from casedesk.core.text import check_text
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import notify
from casedesk.routing.services import (
    assign_in_queue,
    decide,
    facts_of_case,
)
from casedesk.tenancy.models import Membership, Tenant, User

# Fields a PATCH may change, and the model attribute each writes.
EDITABLE_FIELDS = {
    "subject": "subject", "description": "description", "priority": "priority",
    "type": "type", "category": "category", "subcategory": "subcategory",
    "sub_status": "sub_status", "source": "source", "language": "language",
    "account_id": "account_id",
    "contact_id": "contact_id", "deal_id": "deal_id", "queue_id": "queue_id",
    "owner_id": "owner_id", "tags": "tags", "custom_fields": "custom_fields",
}


def case_reroute(*, case: Case, actor: User | None, now: datetime) -> Case:
    """Routes an open case again with the tenant's current rules, fallback map and queue
    strategies, as if it were new; its owner becomes whoever that picks (or nobody)."""
    with case_change():
        case = lock_case(case)
        if not is_open(Status(case.status)):
            raise Conflict(f"A {case.status} case is not routed again; re-open it first.")
        if not case.tenant.routing_enabled:
            raise Conflict("Routing is turned off for this tenant.")
        old_owner = case.owner_id
        facts = facts_of_case(case)
        route = decide(case.tenant, facts)
        assign_in_queue(case.tenant, route, facts, rerouting=case.pk)
        events = apply_route(case, actor, route, now)
        sla_recompute(case)
        case.updated_at = now
        case.save()
        timeline_write(events)
        if case.owner_id is not None and case.owner_id != old_owner:
            notify_owner(case, actor, now)
    return case


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
    with case_change():
        case = lock_case(case)
        values = dict(changes)
        check_case_text(values)
        merged = {name: values.get(name, getattr(case, attr))
                  for name, attr in EDITABLE_FIELDS.items()}
        picklists = Picklists.of(case.tenant)
        for kind in ("type", "category", "subcategory", "sub_status"):
            if kind in values or (kind == "subcategory" and "category" in values):
                parent = {"subcategory": merged["category"], "sub_status": case.status
                          }.get(kind, "")
                # The value the case carries stays, even if it was retired since.
                kept = merged[kind] == getattr(case, kind) and (
                    kind != "subcategory" or merged["category"] == case.category)
                if not kept:
                    picklists.check(kind, merged[kind], parent=parent)
        if {"account_id", "contact_id", "deal_id", "queue_id", "owner_id"} & set(values):
            refs = {k: merged[k] for k in ("account_id", "contact_id", "deal_id", "queue_id",
                                           "owner_id")}
            check_references(case.tenant, refs, account_given="account_id" in values)
            merged.update(refs)
            if refs["account_id"] != case.account_id:
                values["account_id"] = refs["account_id"]
        if "tags" in values:
            merged["tags"] = clean_tags(values["tags"] or [])
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
            events.append(event(case, actor, EventKind.FIELD_CHANGED, now, field=name,
                                 old_value=_shown(name, old), new_value=_shown(name, new)))
        old_owner = case.owner_id
        if (any(e.field == "category" for e in events) and case.tenant.reroute_on_category_change
                and case.tenant.routing_enabled and is_open(Status(case.status))
                and not {"queue_id", "owner_id"} & set(values)):
            facts = facts_of_case(case)
            route = decide(case.tenant, facts)
            assign_in_queue(case.tenant, route, facts, rerouting=case.pk)
            events.extend(apply_route(case, actor, route, now))
        rerouted = any(e.kind == EventKind.ROUTED for e in events)
        if rerouted or SLA_FACTS & {e.field for e in events}:
            sla_recompute(case)
        if events:
            case.updated_at = now
            case.save()
            timeline_write(events)
            if case.owner_id is not None and (case.owner_id != old_owner or any(
                    e.field == "owner_id" for e in events)):
                notify_owner(case, actor, now)
    return case


def _shown(name: str, value: Any) -> Any:
    if name == "priority" and value is not None:
        return Priority(value).label
    return value


def case_transition(*, case: Case, actor: User | None, to: str, now: datetime, note: str = "",
                    closed_reason: str = "") -> Case:
    """Moves a case through the lifecycle, or refuses (Conflict / Invalid) and changes nothing.

    The note a move into resolved or closed needs is kept as an internal note on the case.
    """
    check_text(to, field="to", label="The status")
    check_text(note, field="note", label="The note")
    check_text(closed_reason, field="closed_reason", label="The closed reason")
    with case_change():
        case = lock_case(case)
        closed_reasons = Picklists(case.tenant, kinds=(PicklistKind.CLOSED_REASON,)).all(
            PicklistKind.CLOSED_REASON)
        try:
            plan = plan_transition(
                state_of(case), to, note=note, closed_reason=closed_reason,
                closed_reasons=closed_reasons, policy=reopen_policy(case.tenant), now=now)
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
        event = apply_plan(case, plan, actor, now, note=note_row)
        case.save()
        timeline_write([event])
    return case


def case_add_note(*, case: Case, actor: User | None, body: str, is_public: bool,
                  now: datetime) -> Note:
    """Adds an internal note or a public reply; an agent's first public reply is the case's
    first response, and is never overwritten by a later one. A public reply is mailed to the
    customer and the people copied on the case (through the outbox, in this transaction)."""
    body = check_text((body or "").strip(), field="body", label="A note")
    if not body:
        raise Invalid("A note needs some text.", field="body")
    with case_change():
        case = lock_case(case)
        note = Note.objects.create(tenant_id=case.tenant_id, case=case, author=actor, body=body,
                                   is_public=is_public, created_at=now)
        kind = EventKind.REPLY_ADDED if is_public else EventKind.NOTE_ADDED
        timeline_write([event(case, actor, kind, now, note=note)])
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


CHANNEL_WORDS = {"chat": " in chat", "slack": " in Slack"}


@dataclass
class CustomerMessage:
    """What a customer wrote, from any channel (mail, portal)."""

    body: str
    author_email: str
    author_name: str = ""
    quoted: str = ""
    automatic: bool = False  # an auto-reply, bounce or list mail: recorded, changes nothing
    channel: str = ""  # "chat", "slack": shown on the timeline ("… wrote in chat.")


class LockedCases:
    """Cases locked together for customers' replies filed one after another in the caller's
    transaction (batch mode's runs of replies, inside `case_change_run()`): one locking read
    for all of them instead of one per reply.

    A case is handed to a reply as held (the row read under its lock, changed since only by
    the replies filed through this holder) as long as no other change began in between; once
    one did (a rule's, a follow-up case), every case is read again under its lock when next
    taken, as a single reply reads it."""

    def __init__(self, tenant: Tenant, case_ids: Iterable[int]) -> None:
        wanted = sorted(set(case_ids))
        # Locked in id order, as every multi-case change does, so no two wait on each other.
        found = (Case.objects.select_for_update(of=("self",)).select_related("contact")
                 .filter(tenant=tenant, pk__in=wanted).order_by("pk")) if wanted else []
        self._held: dict[int, Case] = {}
        for case in found:
            case.tenant = tenant
            # A case merged away meanwhile is left to `lock_case`, which refuses it.
            if case.merged_into_id is None:
                self._held[case.pk] = case
        self._seen = changes_begun()

    def take(self, case: Case) -> Case:
        """The case to change, locked; called at the start of the reply's change."""
        if changes_begun() != self._seen + 1:
            self._held.clear()
        held = self._held.pop(case.pk, None)
        self._seen = changes_begun()
        return held if held is not None else lock_case(case)

    def keep(self, case: Case) -> None:
        """The case as the reply left it, held for the next reply on it (unless another change
        ran inside the reply's own: its rules')."""
        if changes_begun() == self._seen:
            self._held[case.pk] = case


def _changed_columns(case: Case, before: dict[str, Any]) -> list[str]:
    return [name for name, value in before.items() if getattr(case, name) != value]


def _columns(case: Case) -> dict[str, Any]:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields
            if not f.primary_key}


def case_customer_reply(*, case: Case, message: CustomerMessage, now: datetime,
                        locked: LockedCases | None = None) -> tuple[Case, Note]:
    """Adds a customer's message to an open or resolved case, or to a closed case inside its
    reopen window, and moves the case as the lifecycle says: waiting on the customer → in
    progress, resolved or closed → open (a closed case only within its reopen limit and
    window). An automatic message is recorded and moves nothing. A closed case that may no
    longer re-open refuses (Conflict): the caller makes a follow-up case instead.
    `locked`: the cases the caller locked for its run of replies (see `LockedCases`)."""
    for name in ("body", "author_email", "author_name", "quoted"):
        check_text(getattr(message, name), field=name)
    with case_change():
        case = locked.take(case) if locked is not None else lock_case(case)
        # The row as read under the lock: only the columns the reply changes are written.
        before = _columns(case)
        target: Status | None = None
        if not message.automatic:
            target = {Status.PENDING_CUSTOMER: Status.IN_PROGRESS, Status.RESOLVED: Status.OPEN,
                      Status.CLOSED: Status.OPEN}.get(Status(case.status))
        plan = None
        if target is not None:
            try:
                plan = plan_transition(state_of(case), target, policy=reopen_policy(case.tenant),
                                       now=now)
            except TransitionRefused as refusal:
                raise Conflict(refusal.detail) from None
        elif case.status == Status.CLOSED and not message.automatic:
            raise Conflict(f"{case.display_number} is closed.")
        note = Note(
            tenant_id=case.tenant_id, case=case, author=None, body=message.body,
            is_public=True, author_email=clipped(Note, "author_email", message.author_email),
            author_name=clipped(Note, "author_name", message.author_name),
            quoted=message.quoted, created_at=now)
        insert([note], connection)
        who = message.author_name or message.author_email or "The customer"
        where = CHANNEL_WORDS.get(message.channel, "")
        events = [event(case, None, EventKind.CUSTOMER_REPLIED, now, note=note,
                         message=f"{who} wrote{where}" + (" (automatic reply)."
                                                          if message.automatic else "."))]
        if plan is not None:
            events.append(apply_plan(case, plan, None, now,
                                      message=f"Moved by {who}'s reply."))
        if not message.automatic:
            sla_customer_wrote(case, now)
        case.updated_at = now
        case.save(update_fields=_changed_columns(case, before))
        timeline_write(events)
        # In a live chat the owner is reading along: no notice per message.
        if case.owner_id is not None and not message.automatic and message.channel != "chat":
            notify(case=case, recipients=[case.owner_id], actor=None,
                   kind=NotificationKind.CUSTOMER_REPLY, now=now,
                   message=f"{case.display_number}: {who} replied: {message.body[:200]}")
    if locked is not None:
        locked.keep(case)
    return case, note
