"""What the tenant's people pages and invitations need of queues (registered with
`tenancy.hooks` in this app's `ready()`): the queues one may join, joining them, and who is in
which."""

from collections.abc import Sequence

from casedesk.routing.models import Queue
from casedesk.tenancy.models import Membership, Tenant


def queue_choices(tenant: Tenant) -> list[tuple[int, str]]:
    """The tenant's active queues, by name: the ones a new member may be put in."""
    return list(Queue.objects.filter(tenant=tenant, is_active=True).order_by("name")
                .values_list("pk", "name"))


def join_queues(membership: Membership, queue_ids: Sequence[int]) -> None:
    """The member joins those of `queue_ids` that are the tenant's active queues (one archived
    since the invitation was sent is left out)."""
    for queue in Queue.objects.filter(tenant_id=membership.tenant_id, pk__in=list(queue_ids),
                                      is_active=True):
        queue.members.add(membership)


def queues_of_members(tenant: Tenant) -> dict[int, list[str]]:
    """The names of each member's active queues, by user id."""
    names: dict[int, list[str]] = {}
    rows = (Queue.members.through.objects
            .filter(queue__tenant=tenant, queue__is_active=True)
            .order_by("queue__name").values_list("membership__user_id", "queue__name"))
    for user_id, name in rows:
        names.setdefault(user_id, []).append(name)
    return names
