"""Referrals: a case handed to another queue for part of the work (an assignment) and
handed back with a note; the case moves to in progress while it is out."""

from datetime import datetime

from casedesk.cases.changes import case_change
from casedesk.cases.lifecycle import (
    Status,
    plan_transition,
)
from casedesk.cases.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    EventKind,
    TimelineEvent,
)
from casedesk.cases.picklists import INTERNAL_REFERRAL
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import (
    apply_plan,
    lock_case,
    state_of,
)
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.text import check_text
from casedesk.notifications.models import NotificationKind
from casedesk.notifications.services import notify
from casedesk.routing.models import Queue
from casedesk.tenancy.models import User


def assignment_open(*, case: Case, actor: User | None, queue: Queue, description: str,
                    now: datetime) -> CaseAssignment:
    """Refers part of the work on a case to another team's queue.

    A new or open case moves to in progress (internal referral) through allowed moves.
    """
    description = check_text((description or "").strip(), field="description",
                             label="The description")
    if not description:
        raise Invalid("Describe what the other team should do.", field="description")
    with case_change():
        case = lock_case(case)
        if queue.tenant_id != case.tenant_id:
            raise NotFound("No such queue.")
        if not case.is_open:
            raise Conflict(f"{case.display_number} is {case.status}; re-open it before "
                           "referring work.")
        assignment = CaseAssignment.objects.create(
            tenant_id=case.tenant_id, case=case, queue=queue, description=description,
            opened_by=actor, opened_at=now)
        events = [event(case, actor, EventKind.ASSIGNMENT_OPENED, now,
                         new_value={"assignment_id": assignment.pk, "queue_id": queue.pk},
                         message=f"Referred to {queue.name}: {description}")]
        events.extend(_move_to_in_progress(case, actor, now))
        case.sub_status = INTERNAL_REFERRAL
        case.updated_at = now
        case.save()
        timeline_write(events)
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
        plan = plan_transition(state_of(case), step, now=now)
        events.append(apply_plan(case, plan, actor, now, message=message))
    return events


def assignment_close(*, assignment: CaseAssignment, actor: User | None, note: str,
                     now: datetime) -> CaseAssignment:
    """Closes a referral with a note; when the last one closes the case is back in progress."""
    note = check_text((note or "").strip(), field="note", label="The note")
    if not note:
        raise Invalid("Closing a case assignment needs a note.", field="note")
    with case_change():
        case = lock_case(assignment.case)
        assignment = (CaseAssignment.objects.select_for_update(of=("self",))
                      .select_related("queue").get(pk=assignment.pk))
        if assignment.status == AssignmentStatus.CLOSED:
            raise Conflict("This case assignment is closed already.")
        assignment.status = AssignmentStatus.CLOSED
        assignment.closed_by, assignment.closed_at, assignment.closing_note = actor, now, note
        assignment.save()
        events = [event(case, actor, EventKind.ASSIGNMENT_CLOSED, now,
                         old_value={"assignment_id": assignment.pk,
                                    "queue_id": assignment.queue_id},
                         message=f"Referral to {assignment.queue.name} closed: {note}")]
        if not CaseAssignment.objects.filter(case=case, status=AssignmentStatus.OPEN).exists():
            back = "All case assignments are closed; the case is back in progress."
            moves = _move_to_in_progress(case, actor, now, message=back) if case.is_open else []
            events.extend(moves)
            if not moves:
                events.append(event(case, actor, EventKind.FIELD_CHANGED, now,
                                     field="sub_status", old_value=case.sub_status,
                                     new_value="", message=back))
            case.sub_status = ""
        case.updated_at = now
        case.save()
        timeline_write(events)
    return assignment
