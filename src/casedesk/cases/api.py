"""The cases API: thin handlers that parse, fetch through access helpers and call services."""

from datetime import UTC, datetime
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.params.functions import Header, Query

from casedesk.cases import creation, ownership, referrals, selectors, services
from casedesk.cases.access import get_assignment_for_case, get_case_for_member
from casedesk.cases.attachments import note_add_with_files
from casedesk.cases.hooks import case_csat, reply_mail
from casedesk.cases.list_sort import DEFAULT_SORT, SORT_HELP, CaseSort
from casedesk.cases.merge import merged_target
from casedesk.cases.merge_api import MergeMovedOut
from casedesk.cases.models import CaseAssignment, IdempotencyKey
from casedesk.cases.presenters import assignment_out, case_out, event_out, note_out
from casedesk.cases.schemas import (
    AssignmentCloseIn,
    AssignmentIn,
    AssignmentOut,
    CaseDetailOut,
    CaseIn,
    CaseListFilters,
    CaseOut,
    CasePage,
    CasePatch,
    FollowUpIn,
    InboxPage,
    NoteIn,
    NoteOut,
    OwnerIn,
    StatusName,
    TimelinePage,
    TransitionIn,
)
from casedesk.core import clock
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.limits import max_length
from casedesk.core.priority import Priority, PriorityName
from casedesk.core.schemas import MAX_ID, Error
from casedesk.core.text import text_problem
from casedesk.routing.access import find_queue, get_queue_for_member
from casedesk.routing.models import Queue
from casedesk.tenancy.access import find_colleague
from casedesk.tenancy.api_auth import member
from casedesk.tenancy.models import Membership
from casedesk.tenancy.token_events import token_event_vias

router = Router(tags=["cases"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _queue(membership: Membership, queue_id: int, field: str = "queue_id") -> Queue:
    queue = find_queue(membership, queue_id)
    if queue is None:
        raise Invalid(f"No queue with id {queue_id}.", field=field)
    return queue


def _id_or_keyword(value: str | None, field: str, keywords: tuple[str, ...]
                   ) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, None
    if value in keywords:
        return None, value
    if value.isascii() and value.isdecimal() and 0 < int(value) <= MAX_ID:
        return int(value), None
    raise Invalid(f"{field} must be an id or one of: {', '.join(keywords)}.", field=field)


@router.post("/cases", response={201: CaseOut, 200: CaseOut, **ERRORS},
             summary="Create a case")
def create_case(request: HttpRequest, response: HttpResponse, payload: CaseIn,
                idempotency_key: str | None = Header(
                    None, alias="Idempotency-Key",
                    max_length=max_length(IdempotencyKey, "key"))) -> Any:
    """Creates a case. Send an `Idempotency-Key` header to make retries safe: the same key
    returns the case the first request made (status 200), never a second case."""
    membership = member(request)
    now = clock.now()
    data = creation.CaseInput(**{**payload.dict(), "priority": Priority.from_name(
        payload.priority)})
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not idempotency_key or not idempotency_key.isprintable():
            raise Invalid("Idempotency-Key must be non-blank printable text.",
                          field="Idempotency-Key")
    case, created = creation.case_create(tenant=membership.tenant, actor=membership.user,
                                         data=data, now=now, idempotency_key=idempotency_key)
    if not created:
        response["Idempotent-Replayed"] = "true"
    return (201 if created else 200), case_out(case, now)


def list_filters(membership: Membership, query: CaseListFilters, now: datetime, *,
                 status: list[StatusName] | None = None,
                 priority: list[PriorityName] | None = None) -> selectors.CaseFilters:
    """`CaseFilters` from the list's query parameters, for the list and its export
    (`exporter`); Invalid (422) for a value that names nothing."""
    queue_id, queue_kw = _id_or_keyword(query.queue, "queue", ("none",))
    owner_id, owner_kw = _id_or_keyword(query.owner, "owner", ("me", "none"))
    if owner_kw == "me":
        owner_id = membership.user_id
    for name, value in (("type", query.type), ("category", query.category)):
        if value is not None and (problem := text_problem(value)) is not None:
            raise Invalid(f"{name} {problem}.", field=name)
    for name, moment in (("created_after", query.created_after),
                         ("created_before", query.created_before)):
        try:
            if moment is not None and moment.tzinfo is not None:
                moment.astimezone(UTC)  # the database compares in UTC
        except OverflowError:
            raise Invalid(f"{name} is out of range.", field=name) from None
    return selectors.CaseFilters(
        status=list(status) if status else None,
        priority=[Priority.from_name(p) for p in priority] if priority else None,
        queue_id=queue_id, no_queue=queue_kw == "none", owner_id=owner_id,
        unassigned=owner_kw == "none", account_id=query.account, contact_id=query.contact,
        type=query.type, category=query.category, created_after=query.created_after,
        created_before=query.created_before, q=query.q, open_only=query.open,
        sla_breached=query.sla == "breached",
        breaching_within_hours=query.breaching_within_hours, now=now, csat=query.csat,
        has_open_children=query.has_open_children,
    )


@router.get("/cases", response={200: CasePage, **ERRORS}, summary="List cases")
def list_cases(
    request: HttpRequest,
    filters: CaseListFilters = Query(...),
    status: list[StatusName] | None = Query(None, description="Repeat for several."),
    priority: list[PriorityName] | None = Query(None, description="Repeat for several."),
    sort: CaseSort = Query(DEFAULT_SORT, description=SORT_HELP),
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(50, ge=1, le=100),
) -> Any:
    """Cases in `sort` order (newest first by default), with cursor pagination: pass
    `next_cursor` back as `cursor` with the same `sort`."""
    membership = member(request)
    now = clock.now()
    if cursor is not None and (problem := text_problem(cursor)) is not None:
        raise Invalid(f"cursor {problem}.", field="cursor")
    found = list_filters(membership, filters, now, status=status, priority=priority)
    page = selectors.case_list(membership.tenant, found, cursor=cursor, limit=limit, sort=sort)
    return {"items": [case_out(c, now) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/cases/{number}", response={200: CaseDetailOut, 308: MergeMovedOut, **ERRORS},
            summary="Read a case")
def get_case(request: HttpRequest, response: HttpResponse, number: str) -> Any:
    """The case, with the customer's satisfaction answer (`csat`, null when none). A case
    merged into another answers 308 with the other case's URL in `Location` (its number in
    `merged_into`); other reads of a merged case answer for it, and changes are a 409."""
    case = get_case_for_member(member(request), number)
    if case.merged_into_id is not None:
        target = merged_target(case)
        response["Location"] = request.build_absolute_uri(
            request.path[: request.path.rindex("/") + 1] + target.display_number)
        return 308, {"detail": f"{case.display_number} was merged into "
                               f"{target.display_number}.",
                     "merged_into": target.display_number}
    return {**case_out(case, clock.now()), "csat": case_csat(case)}


@router.patch("/cases/{number}", response={200: CaseOut, **ERRORS}, summary="Change fields")
def patch_case(request: HttpRequest, number: str, payload: CasePatch) -> Any:
    """Changes the fields sent; every change lands on the timeline. Status changes go through
    `POST /cases/{number}/transitions`."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    changes = payload.dict(exclude_unset=True)
    for name in ("subject", "priority", "source", "language", "tags", "type", "category",
                 "subcategory", "sub_status", "custom_fields"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    if "priority" in changes:
        changes["priority"] = Priority.from_name(changes["priority"])
    now = clock.now()
    services.case_update(case=case, actor=membership.user, changes=changes, now=now)
    return case_out(get_case_for_member(membership, number), now)


@router.post("/cases/{number}/transitions", response={200: CaseOut, **ERRORS},
             summary="Move a case through the lifecycle")
def transition_case(request: HttpRequest, number: str, payload: TransitionIn) -> Any:
    """Moves the case to `to`. A move the lifecycle forbids is a 409 naming the allowed moves;
    `resolved` and `closed` need a `note`, and `closed` a `closed_reason`."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    now = clock.now()
    services.case_transition(case=case, actor=membership.user, to=payload.to.strip(),
                             note=payload.note, closed_reason=payload.closed_reason.strip(),
                             now=now)
    return case_out(get_case_for_member(membership, number), now)


@router.post("/cases/{number}/reroute", response={200: CaseOut, **ERRORS},
             summary="Route a case again")
def reroute_case(request: HttpRequest, number: str) -> Any:
    """Routes an open case again with the tenant's current rules, fallback map and queue
    strategies, as if it were new: its queue, and its owner, become whatever they pick (the
    owner may become nobody). The decision lands on the timeline. A resolved or closed case
    is a 409: re-open it first."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    now = clock.now()
    services.case_reroute(case=case, actor=membership.user, now=now)
    return case_out(get_case_for_member(membership, number), now)


@router.post("/cases/{number}/follow-ups", response={201: CaseOut, **ERRORS},
             summary="Create a follow-up case of a closed case")
def follow_up_case(request: HttpRequest, number: str, payload: FollowUpIn) -> Any:
    membership = member(request)
    case = get_case_for_member(membership, number)
    now = clock.now()
    follow_up = creation.case_follow_up_create(case=case, actor=membership.user, now=now,
                                               subject=payload.subject,
                                               description=payload.description)
    return 201, case_out(get_case_for_member(membership, str(follow_up.number)), now)


@router.get("/cases/{number}/notes", response={200: list[NoteOut], **ERRORS},
            summary="Notes and replies")
def list_notes(request: HttpRequest, number: str) -> Any:
    case = get_case_for_member(member(request), number)
    notes = list(selectors.notes_of(case).prefetch_related("attachments"))
    mailed = reply_mail(case, [n.pk for n in notes if n.is_public and n.author_id])
    return [note_out(n, mailed.get(n.pk), number=case.display_number) for n in notes]


@router.post("/cases/{number}/notes", response={201: NoteOut, **ERRORS},
             summary="Add an internal note or a public reply")
def add_note(request: HttpRequest, number: str, payload: NoteIn) -> Any:
    """`attachment_ids` names your own pending uploads of this case (422 for any other id);
    a public reply mails them as attachments, an internal note's files never leave."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    note = note_add_with_files(case=case, actor=membership.user, body=payload.body,
                               is_public=payload.public, now=clock.now(),
                               attachment_ids=payload.attachment_ids)
    mailed = reply_mail(case, [note.pk] if note.is_public else [])
    return 201, note_out(note, mailed.get(note.pk), number=case.display_number)


@router.get("/cases/{number}/timeline", response={200: TimelinePage, **ERRORS},
            summary="The case's history, oldest first")
def timeline(request: HttpRequest, number: str, cursor: str | None = Query(None, max_length=500),
             limit: int = Query(100, ge=1, le=100)) -> Any:
    case = get_case_for_member(member(request), number)
    page = selectors.timeline_page(case, cursor=cursor, limit=limit)
    prefetch_related_objects([e.note for e in page.items if e.note is not None], "attachments")
    vias = token_event_vias(case.tenant_id, [e.pk for e in page.items])
    return {"items": [{**event_out(e, number=case.display_number), "via": vias.get(e.pk, "")}
                      for e in page.items],
            "next_cursor": page.next_cursor}


@router.post("/cases/{number}/claim", response={200: CaseOut, **ERRORS},
             summary="Take an unassigned case")
def claim(request: HttpRequest, number: str) -> Any:
    """Makes you the owner. If someone else claimed it first, a 409 says who."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    now = clock.now()
    ownership.case_claim(case=case, membership=membership, now=now)
    return case_out(get_case_for_member(membership, number), now)


@router.put("/cases/{number}/owner", response={200: CaseOut, **ERRORS},
            summary="Give the case to a user or a queue")
def change_owner(request: HttpRequest, number: str, payload: OwnerIn) -> Any:
    """Send `owner_id` to give the case to a member, or `queue_id` to put it in a queue
    unassigned."""
    membership = member(request)
    case = get_case_for_member(membership, number)
    owner = queue = None
    if payload.owner_id is not None:
        colleague = find_colleague(membership, payload.owner_id)
        if colleague is None:
            raise Invalid(f"No member of this tenant has user id {payload.owner_id}.",
                          field="owner_id")
        owner = colleague.user
    if payload.queue_id is not None:
        queue = _queue(membership, payload.queue_id)
    now = clock.now()
    ownership.case_change_owner(case=case, actor=membership.user, owner=owner, queue=queue,
                               now=now)
    return case_out(get_case_for_member(membership, number), now)


@router.get("/cases/{number}/assignments", response={200: list[AssignmentOut], **ERRORS},
            summary="Case assignments (work referred to other teams)")
def list_assignments(request: HttpRequest, number: str) -> Any:
    case = get_case_for_member(member(request), number)
    rows = (CaseAssignment.objects.filter(tenant_id=case.tenant_id, case=case)
            .select_related("queue", "opened_by", "closed_by"))
    return [assignment_out(a) for a in rows]


@router.post("/cases/{number}/assignments", response={201: AssignmentOut, **ERRORS},
             summary="Refer work to another team's queue")
def open_assignment(request: HttpRequest, number: str, payload: AssignmentIn) -> Any:
    membership = member(request)
    case = get_case_for_member(membership, number)
    queue = _queue(membership, payload.queue_id)
    assignment = referrals.assignment_open(case=case, actor=membership.user, queue=queue,
                                          description=payload.description, now=clock.now())
    return 201, assignment_out(assignment)


@router.post("/cases/{number}/assignments/{assignment_id}/close",
             response={200: AssignmentOut, **ERRORS}, summary="Close a case assignment")
def close_assignment(request: HttpRequest, number: str, assignment_id: int,
                     payload: AssignmentCloseIn) -> Any:
    membership = member(request)
    case = get_case_for_member(membership, number)
    if not 0 < assignment_id <= MAX_ID:
        raise NotFound(f"No case assignment {assignment_id} on {case.display_number}.")
    assignment = get_assignment_for_case(case, assignment_id)
    assignment = referrals.assignment_close(assignment=assignment, actor=membership.user,
                                           note=payload.note, now=clock.now())
    return assignment_out(assignment)


@router.get("/inbox/cases", response={200: InboxPage, **ERRORS}, summary="My inbox")
def inbox(request: HttpRequest, cursor: str | None = Query(None, max_length=500),
          limit: int = Query(50, ge=1, le=100)) -> Any:
    """My open cases and the unassigned open cases of my queues, in claim order: urgent and
    high first, then oldest first. Each queue's `waiting` count stops at 1000 (1000 means
    "1000 or more")."""
    membership = member(request)
    queue_ids = selectors.inbox_queue_ids(membership)
    page = selectors.inbox_cases(membership, cursor=cursor, limit=limit, queue_ids=queue_ids)
    counts = selectors.queue_counts(membership, queue_ids)
    names = dict(Queue.objects.filter(pk__in=queue_ids).values_list("pk", "name"))
    now = clock.now()
    return {
        "items": [case_out(c, now) for c in page.items],
        "next_cursor": page.next_cursor,
        "queues": [{"id": q, "name": names[q], "waiting": counts[q]} for q in queue_ids],
    }


@router.post("/queues/{queue_id}/claim-next", response={200: CaseOut, **ERRORS},
             summary="Claim the next case waiting in a queue")
def claim_next(request: HttpRequest, queue_id: int) -> Any:
    """Gives you the oldest unassigned case of the queue, urgent and high first. Two agents
    calling at once never get the same case. 404 when nothing waits."""
    membership = member(request)
    queue = get_queue_for_member(membership, queue_id)
    now = clock.now()
    case = ownership.case_claim_next(queue=queue, membership=membership, now=now)
    if case is None:
        raise NotFound(f"No unassigned open case waits in {queue.name}.")
    return case_out(get_case_for_member(membership, str(case.number)), now)



