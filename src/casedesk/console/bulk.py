"""Bulk actions on the case list: one service call per case, each in its own transaction, so
one refusal does not undo the others."""

from dataclasses import dataclass, field
from datetime import datetime

from django.http import QueryDict

from casedesk.cases import ownership, services
from casedesk.cases.access import get_case_for_member
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import PicklistKind
from casedesk.cases.picklists import Picklists
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.priority import Priority
from casedesk.routing.access import find_queue
from casedesk.routing.models import Queue
from casedesk.tenancy.access import find_colleague
from casedesk.tenancy.models import Membership, User

STATUS_TARGETS = [s for s in Status]
MAX_BULK = 200


@dataclass
class BulkReport:
    changed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def closed_reasons(membership: Membership) -> list[str]:
    return sorted(Picklists(membership.tenant, kinds=(PicklistKind.CLOSED_REASON,))
                  .all(PicklistKind.CLOSED_REASON))


def apply(membership: Membership, numbers: list[str], form: QueryDict, *,
          now: datetime) -> BulkReport:
    """Runs the action named in `form` ("assign", "status" or "priority") on each case."""
    if len(numbers) > MAX_BULK:
        raise Invalid(f"Select at most {MAX_BULK} cases at a time.")
    action = form.get("action")
    report = BulkReport()
    actor = membership.user
    if action == "assign":
        target = form.get("assign_to") or ""
        owner, queue = _assignee(membership, target)
    elif action == "status":
        to = form.get("to") or ""
        if to not in {s.value for s in Status}:
            raise Invalid("Choose the status to move the cases to.")
    elif action == "priority":
        try:
            priority = Priority.from_name(form.get("priority") or "")
        except ValueError:
            raise Invalid("Choose a priority.") from None
    else:
        raise Invalid("Choose an action.")
    for number in dict.fromkeys(numbers):
        try:
            case = get_case_for_member(membership, number)
            if action == "assign":
                ownership.case_change_owner(case=case, actor=actor, owner=owner, queue=queue,
                                           now=now)
            elif action == "status":
                services.case_transition(case=case, actor=actor, to=to, now=now,
                                         note=form.get("note") or "",
                                         closed_reason=form.get("closed_reason") or "")
            else:
                services.case_update(case=case, actor=actor, changes={"priority": priority},
                                     now=now)
        except DomainError as error:
            report.refused.append((number, error.detail))
        else:
            report.changed.append(number)
    return report


def _assignee(membership: Membership, target: str) -> tuple[User | None, Queue | None]:
    """`me`, `user:<id>` or `queue:<id>` → (owner, queue) for case_change_owner."""
    if target == "me":
        return membership.user, None
    kind, _, raw = target.partition(":")
    if raw.isdecimal() and kind == "user":
        colleague = find_colleague(membership, int(raw))
        if colleague is not None:
            return colleague.user, None
    if raw.isdecimal() and kind == "queue":
        queue = find_queue(membership, int(raw))
        if queue is not None:
            return None, queue
    raise Invalid("Choose whom to assign the cases to.")
