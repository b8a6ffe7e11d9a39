"""The one way the API and the pages fetch a tenant's routing rule or queue: for a member,
or NotFound (another tenant's included, so nobody learns which ids exist)."""

from casedesk.core.access import tenant_row
from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.routing.models import Queue, RoutingRule
from casedesk.tenancy.models import Membership


def get_rule_for_member(membership: Membership, rule_id: int) -> RoutingRule:
    """A routing rule of the member's tenant."""
    rule = tenant_row(RoutingRule.objects.all(), membership.tenant_id, rule_id,
                      f"No routing rule with id {rule_id}.")
    rule.tenant = membership.tenant
    return rule


def find_queue(membership: Membership, queue_id: int) -> Queue | None:
    """A queue of the member's tenant (archived ones included); None for anything else."""
    if not 0 < queue_id <= MAX_ID:
        return None
    queue = Queue.objects.filter(tenant_id=membership.tenant_id, pk=queue_id).first()
    if queue is not None:
        queue.tenant = membership.tenant
    return queue


def get_queue_for_member(membership: Membership, queue_id: int) -> Queue:
    """A queue of the member's tenant (archived ones included), or NotFound."""
    queue = find_queue(membership, queue_id)
    if queue is None:
        raise NotFound(f"No queue with id {queue_id}.")
    return queue
