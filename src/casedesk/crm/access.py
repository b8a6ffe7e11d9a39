"""The only way views fetch accounts and contacts: scoped to the member's tenant."""

from casedesk.core.errors import NotFound
from casedesk.core.schemas import MAX_ID
from casedesk.crm.models import Account, Contact
from casedesk.tenancy.models import Membership


def get_account_for_member(membership: Membership, pk: int) -> Account:
    """The account `pk` of the member's tenant; NotFound for anything else, including another
    tenant's account."""
    account = (Account.objects.filter(tenant_id=membership.tenant_id, pk=pk)
               .select_related("tenant").first() if 0 < pk <= MAX_ID else None)
    if account is None:
        raise NotFound(f"No account {pk} in this tenant.")
    return account


def get_contact_for_member(membership: Membership, pk: int) -> Contact:
    """The contact `pk` of the member's tenant (with its account); NotFound otherwise."""
    contact = (Contact.objects.filter(tenant_id=membership.tenant_id, pk=pk)
               .select_related("tenant", "account").first() if 0 < pk <= MAX_ID else None)
    if contact is None:
        raise NotFound(f"No contact {pk} in this tenant.")
    return contact
