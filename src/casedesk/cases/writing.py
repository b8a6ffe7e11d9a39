"""What every case service shares: the row lock, the checks of what a case may hold, the
routing and lifecycle steps several changes take, and the owner's notification."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from casedesk.cases.lifecycle import (
    CaseState,
    ReopenPolicy,
    Status,
    TransitionPlan,
)
from casedesk.cases.models import (
    OPEN_STATUS_VALUES,
    AssignmentStatus,
    Case,
    CaseAssignment,
    CaseLink,
    EventKind,
    LinkKind,
    Note,
    Source,
    TimelineEvent,
)
from casedesk.cases.picklists import INTERNAL_REFERRAL
from casedesk.cases.sla_clocks import (
    sla_status_changed,
)
from casedesk.cases.timeline import event
from casedesk.core.errors import Conflict, Invalid
from casedesk.core.limits import check_fits
from casedesk.core.priority import Priority
from casedesk.core.rows import Columns
from casedesk.core.text import check_texts, one_line
from casedesk.crm.models import Account, Contact, Deal
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import notify
from casedesk.routing.models import Queue
from casedesk.routing.services import (
    Route,
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


def lock_case(case: Case) -> Case:
    """The case re-read under a row lock, so concurrent changes queue instead of clobbering.
    A case merged into another (`cases.merge`) takes no more changes: Conflict, naming it."""
    # The caller's tenant, when it has read it, is the request's (or batch's) own: reading
    # its 40 columns again with every change costs more than the lock itself.
    tenant = case._state.fields_cache.get("tenant")
    related = ("contact",) if isinstance(tenant, Tenant) else ("tenant", "contact")
    locked = (Case.objects.select_for_update(of=("self",))
              .select_related(*related).get(pk=case.pk, tenant_id=case.tenant_id))
    if isinstance(tenant, Tenant):
        locked.tenant = tenant
    if locked.merged_into_id is not None:
        number = (Case.objects.filter(tenant_id=locked.tenant_id, pk=locked.merged_into_id)
                  .values_list("number", flat=True).first())
        raise Conflict(f"{locked.display_number} was merged into "
                       f"{locked.tenant.case_prefix}-{number}: work on that case instead.")
    return locked


def clean_tags(tags: list[str]) -> list[str]:
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
    queue: Queue | None = None


_ACCOUNT = Columns(Account, "a")
_CONTACT = Columns(Contact, "c")
_CONTACT_ACCOUNT = Columns(Account, "ca")
_QUEUE = Columns(Queue, "q")
_linked_sql: dict[str, str] = {}


def _read_linked(tenant_id: int, account_id: int | None, contact_id: int | None,
                 queue_id: int | None) -> tuple[Account | None, Contact | None, Queue | None]:
    """The tenant's account, contact (with its account) and active queue the ids name, in
    one statement written once per process (`core.rows`: every new case makes this read);
    None for an id that is None or names no such record."""
    sql = _linked_sql.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        parts = (_ACCOUNT, _CONTACT, _CONTACT_ACCOUNT, _QUEUE)
        tenant, pk = quote("tenant_id"), quote("id")
        sql = _linked_sql[connection.vendor] = (
            f"SELECT {', '.join(part.select(connection) for part in parts)}"
            " FROM (SELECT 1 AS one) one_row"
            f" LEFT JOIN {quote(_ACCOUNT.table)} a ON a.{tenant} = %s AND a.{pk} = %s"
            f" LEFT JOIN {quote(_CONTACT.table)} c ON c.{tenant} = %s AND c.{pk} = %s"
            f" LEFT JOIN {quote(_CONTACT_ACCOUNT.table)} ca"
            f" ON ca.{pk} = c.{quote('account_id')}"
            f" LEFT JOIN {quote(_QUEUE.table)} q ON q.{tenant} = %s AND q.{pk} = %s"
            f" AND q.{quote('is_active')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, account_id, tenant_id, contact_id, tenant_id,
                             queue_id])
        row = cursor.fetchone()
    at_contact = _ACCOUNT.width
    at_contact_account = at_contact + _CONTACT.width
    at_queue = at_contact_account + _CONTACT_ACCOUNT.width
    account = _ACCOUNT.take(row, 0, connection) if row[0] is not None else None
    contact = (_CONTACT.take(row, at_contact, connection) if row[at_contact] is not None
               else None)
    if contact is not None and row[at_contact_account] is not None:
        contact.account = _CONTACT_ACCOUNT.take(row, at_contact_account, connection)
    queue = _QUEUE.take(row, at_queue, connection) if row[at_queue] is not None else None
    return account, contact, queue


def check_references(tenant: Tenant, values: dict[str, Any], *, account_given: bool
                      ) -> Linked:
    """Refuses ids that do not name a record of this tenant, and links that disagree.

    A contact or deal brings its account along unless the caller named the account itself.
    """
    account_id = values.get("account_id")
    queue_id = values.get("queue_id")
    account, contact, queue = _read_linked(tenant.pk, account_id, values.get("contact_id"),
                                           queue_id)
    if account_id is not None and account is None:
        raise Invalid(f"No account with id {account_id}.", field="account_id")
    linked: list[tuple[str, Contact | Deal | None]] = []
    if values.get("contact_id") is not None:
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
    if queue_id is not None and queue is None:
        raise Invalid(f"No active queue with id {queue_id}.", field="queue_id")
    owner_id = values.get("owner_id")
    if owner_id is not None and not Membership.objects.filter(
        tenant=tenant, user_id=owner_id, is_active=True, user__is_active=True
    ).exists():
        raise Invalid(f"No active member of this tenant has user id {owner_id}.",
                      field="owner_id")
    if account_id is not None and (account is None or account.pk != account_id):
        if contact is not None and contact.account_id == account_id:
            account = contact.account  # read with the contact
        else:
            account = Account.objects.filter(tenant=tenant, pk=account_id).first()
    return Linked(account=account, contact=contact, queue=queue)


def check_case_text(values: dict[str, Any]) -> None:
    """Refuses text the database cannot store (NUL, lone surrogates, more than its column
    holds) in any field, and makes the subject one line: line breaks and tabs pasted into it
    become single spaces, since a subject becomes the Subject header of every mail about the
    case."""
    check_texts(values, TEXT_FIELDS)  # custom fields: `clean_custom_fields`, field by field
    if "subject" in values:
        subject = one_line(values["subject"] or "")
        if not subject:
            raise Invalid("A case needs a subject.", field="subject")
        values["subject"] = subject
    if "priority" in values and values["priority"] not in Priority.values:
        raise Invalid("Unknown priority.", field="priority")
    if "source" in values and values["source"] not in Source.values:
        raise Invalid(f"Unknown source; one of: {', '.join(Source.values)}.", field="source")
    if "language" in values:
        language = (values["language"] or "").strip()
        if language and not LANGUAGE_TAG.fullmatch(language):
            raise Invalid("A language is a tag such as en, de or pt-BR.", field="language")
        values["language"] = language
    check_fits(Case, {name: values[name] for name in TEXT_FIELDS if name in values})


def reopen_policy(tenant: Tenant) -> ReopenPolicy:
    return ReopenPolicy(limit=tenant.reopen_limit, window=tenant.reopen_window)


def routed_event(case: Case, actor: User | None, route: Route, now: datetime
                  ) -> TimelineEvent:
    owner_name = ""
    if route.owner_id is not None:
        owner = User.objects.filter(pk=route.owner_id).only("full_name", "email").first()
        owner_name = owner.display_name if owner is not None else ""
    return event(case, actor, EventKind.ROUTED, now, new_value=route.as_value(),
                  message=route.message(owner_name))


def apply_route(case: Case, actor: User | None, route: Route, now: datetime
                 ) -> list[TimelineEvent]:
    """Writes a re-routing onto a locked case (queue, owner, priority, tags) and returns the
    timeline event that records it."""
    old = {"queue_id": case.queue_id, "owner_id": case.owner_id, "priority": case.priority,
           "tags": list(case.tags or [])}
    case.queue_id = route.queue.pk if route.queue is not None else None
    case.owner_id = route.owner_id
    case.priority = route.priority or case.priority
    case.tags = clean_tags([*(case.tags or []), *route.tags])
    event = routed_event(case, actor, route, now)
    event.old_value = old
    return [event]


def notify_owner(case: Case, actor: User | None, now: datetime) -> None:
    assert case.owner_id is not None
    notify(case=case, recipients=[case.owner_id], actor=actor, kind=NotificationKind.ASSIGNED,
           now=now, message=f"{case.tenant.case_prefix}-{case.number} was assigned to you: "
                            f"{case.subject}")


def open_children_of(case: Case) -> tuple[str, ...]:
    """The numbers of the case's child cases still open (resolved ones count as done)."""
    numbers = (CaseLink.objects.filter(tenant_id=case.tenant_id, from_case=case,
                                       kind=LinkKind.PARENT_OF,
                                       to_case__status__in=OPEN_STATUS_VALUES)
               .order_by("to_case__number").values_list("to_case__number", flat=True))
    return tuple(f"{case.tenant.case_prefix}-{n}" for n in numbers)


def state_of(case: Case) -> CaseState:
    open_assignments = CaseAssignment.objects.filter(
        case=case, status=AssignmentStatus.OPEN).count()
    # Only closing is held back by open children, and only when the tenant says so.
    children = (open_children_of(case) if case.tenant.parent_close_needs_children_closed
                else ())
    return CaseState(status=Status(case.status), closed_at=case.closed_at,
                     reopen_count=case.reopen_count, open_assignments=open_assignments,
                     open_children=children)


def apply_plan(case: Case, plan: TransitionPlan, actor: User | None, now: datetime,
                *, note: Note | None = None, message: str = "") -> TimelineEvent:
    for attr, value in plan.changes.items():
        setattr(case, attr, value)
    sla_status_changed(case, plan.from_status.value, plan.to_status.value, now)
    case.status_changed_at = now
    if plan.to_status != Status.IN_PROGRESS or case.sub_status != INTERNAL_REFERRAL:
        case.sub_status = ""
    case.updated_at = now
    return event(case, actor, EventKind.STATUS_CHANGED, now, field="status",
                  old_value=plan.from_status.value, new_value=plan.to_status.value,
                  note=note, message=message or ("Re-opened." if plan.is_reopen else ""))
