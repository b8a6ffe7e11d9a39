"""The one way the API and the pages fetch a colleague: an active member of the same tenant,
by user id; nothing of another tenant."""

from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.tenancy.models import Membership


def find_colleague(membership: Membership, user_id: int) -> Membership | None:
    """An active member of the member's tenant, by user id; None for anyone else."""
    if not 0 < user_id <= MAX_ID:
        return None
    return (Membership.objects.select_related("user")
            .filter(tenant_id=membership.tenant_id, user_id=user_id, is_active=True).first())


def get_colleague(membership: Membership, user_id: int) -> Membership:
    """An active member of the member's tenant, by user id, or NotFound."""
    colleague = find_colleague(membership, user_id)
    if colleague is None:
        raise NotFound(f"No member with user id {user_id} in this tenant.")
    return colleague


def get_member(membership: Membership, user_id: int) -> Membership:
    """A member of the member's tenant by user id, active or not (the people pages and the
    handing on of a deactivated member's cases are about them too), or NotFound."""
    found = (Membership.objects.select_related("user", "tenant", "manager__user")
             .filter(tenant_id=membership.tenant_id, user_id=user_id).first()
             if 0 < user_id <= MAX_ID else None)
    if found is None:
        raise NotFound(f"No member with user id {user_id} in this tenant.")
    return found
