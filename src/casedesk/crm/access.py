"""The only way the CRM API and pages fetch an account, contact or deal: scoped to the
member's tenant, NotFound for anything else (including another tenant's record)."""

from django.db.models import QuerySet

from casedesk.core.errors import NotFound
from casedesk.core.models import TenantScoped
from casedesk.core.schemas import MAX_ID
from casedesk.crm.models import Account, Contact, Deal
from casedesk.tenancy.models import Membership


def _of_tenant[M: TenantScoped](qs: QuerySet[M], membership: Membership, pk: int) -> M:
    record = (qs.filter(tenant_id=membership.tenant_id, pk=pk).first()
              if 0 < pk <= MAX_ID else None)
    if record is None:
        raise NotFound(f"No {qs.model._meta.verbose_name} with id {pk}.")
    return record


def get_account_for_member(membership: Membership, pk: int) -> Account:
    return _of_tenant(Account.objects.select_related("tenant"), membership, pk)


def get_contact_for_member(membership: Membership, pk: int) -> Contact:
    """The contact with its account."""
    return _of_tenant(Contact.objects.select_related("tenant", "account"), membership, pk)


def get_deal_for_member(membership: Membership, pk: int) -> Deal:
    return _of_tenant(Deal.objects.select_related("tenant"), membership, pk)
