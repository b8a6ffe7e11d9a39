"""Who the customer behind a portal request is. A customer is a crm Contact of the tenant
signed in through a magic link; they never have a Django session of an agent.

Interface shared by the portal's pages (sign-in fills it in)."""

from dataclasses import dataclass

from django.http import HttpRequest

from casedesk.crm.models import Contact
from casedesk.tenancy.models import Tenant


@dataclass(frozen=True)
class Customer:
    tenant: Tenant
    contact: Contact
    # A contact flagged as their account's portal admin also sees the account's cases.
    is_account_admin: bool


def current_customer(request: HttpRequest, tenant: Tenant) -> Customer | None:
    """The signed-in customer of `tenant` behind the request, or None."""
    return None
