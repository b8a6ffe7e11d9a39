"""A member's open cases, as the people pages list them, and handing all of them on at once
when the member leaves (deactivated, say)."""

from datetime import datetime

from django.db import transaction
from django.db.models import Count, QuerySet

from casedesk.cases.models import OPEN_STATUS_VALUES, Case
from casedesk.cases.ownership import case_change_owner
from casedesk.core.errors import Conflict, Invalid
from casedesk.tenancy.models import Membership, Tenant, User

MAX_REASSIGNED = 5_000


def open_case_counts(tenant: Tenant) -> dict[int, int]:
    """Open cases by owner's user id (owners without any left out)."""
    return dict(Case.objects.filter(tenant=tenant, status__in=OPEN_STATUS_VALUES,
                                    owner__isnull=False)
                .values_list("owner_id").annotate(n=Count("id")).order_by())


def open_cases_of(member: Membership) -> QuerySet[Case]:
    """The member's open cases, oldest first (the longest waiting are handed on first)."""
    return (Case.objects.filter(tenant_id=member.tenant_id, owner_id=member.user_id,
                                status__in=OPEN_STATUS_VALUES)
            .select_related("queue", "tenant").order_by("created_at", "id"))


def cases_hand_on(*, member: Membership, actor: User, to: Membership | None,
                  now: datetime) -> int:
    """Gives every open case `member` owns to `to` (an active member of the tenant), or, with
    `to` None, back to each case's queue unassigned, where its members may claim it: one
    transaction, each case's change on its timeline and the new owner told. Answers how many
    cases moved. A case in no queue cannot go back to one: then a person must be named."""
    if to is not None:
        if to.tenant_id != member.tenant_id or not to.is_active or not to.user.is_active:
            raise Invalid("Hand the cases to an active member of this tenant.", field="to")
        if to.pk == member.pk:
            raise Invalid("Choose someone else to take the cases.", field="to")
    with transaction.atomic():
        cases = list(open_cases_of(member)[:MAX_REASSIGNED + 1])
        if len(cases) > MAX_REASSIGNED:
            raise Conflict(f"{member.user.display_name} owns more than {MAX_REASSIGNED} open "
                           "cases: hand them on from the case list in steps.")
        if to is None:
            queueless = sum(1 for case in cases if case.queue_id is None)
            if queueless:
                raise Conflict(f"{queueless} of the cases are in no queue: choose a person "
                               "to take them.")
        for case in cases:
            if to is not None:
                case_change_owner(case=case, actor=actor, owner=to.user, now=now)
            else:
                case_change_owner(case=case, actor=actor, queue=case.queue, now=now)
    return len(cases)
