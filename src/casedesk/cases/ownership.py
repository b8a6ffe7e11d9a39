"""Who works a case: claiming it (or the next one of a queue) and changing its owner."""

from datetime import datetime

from casedesk.cases.changes import case_change
from casedesk.cases.lifecycle import (
    Status,
    plan_transition,
)
from casedesk.cases.models import (
    Case,
    EventKind,
)
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import (
    apply_plan,
    check_references,
    lock_case,
    notify_owner,
    state_of,
)
from casedesk.core.errors import Conflict, Invalid, PermissionDenied
from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, User


def _may_claim(membership: Membership, queue_id: int | None) -> bool:
    if membership.is_manager or queue_id is None:
        return True
    return Queue.members.through.objects.filter(queue_id=queue_id,
                                                membership_id=membership.pk).exists()


def _take(case: Case, membership: Membership, now: datetime) -> Case:
    """Makes `membership`'s user the owner of the locked `case`; new cases become open."""
    user = membership.user
    events = [event(case, user, EventKind.CLAIMED, now, field="owner_id",
                     old_value=None, new_value=user.pk,
                     message=f"Claimed by {user.display_name}.")]
    case.owner = user
    if case.status == Status.NEW:
        plan = plan_transition(state_of(case), Status.OPEN, now=now)
        events.append(apply_plan(case, plan, user, now))
    case.updated_at = now
    case.save()
    timeline_write(events)
    return case


def case_claim(*, case: Case, membership: Membership, now: datetime) -> Case:
    """The member takes an unassigned case. Of two members claiming at once exactly one wins;
    the other gets a Conflict naming the winner. Claiming one's own case again is a no-op."""
    with case_change():
        case = lock_case(case)
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
    with case_change():
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
    with case_change():
        case = lock_case(case)
        old = {"owner_id": case.owner_id, "queue_id": case.queue_id}
        if owner is not None:
            check_references(case.tenant, {"owner_id": owner.pk}, account_given=False)
            case.owner = owner
            message = f"Assigned to {owner.display_name}."
        else:
            assert queue is not None
            check_references(case.tenant, {"queue_id": queue.pk}, account_given=False)
            case.queue, case.owner = queue, None
            message = f"Moved to queue {queue.name}, unassigned."
        new = {"owner_id": case.owner_id, "queue_id": case.queue_id}
        if new == old:
            return case
        case.updated_at = now
        case.save()
        timeline_write([event(case, actor, EventKind.OWNER_CHANGED, now, field="owner",
                              old_value=old, new_value=new, message=message)])
        if case.owner_id is not None and case.owner_id != old["owner_id"]:
            notify_owner(case, actor, now)
    return case
