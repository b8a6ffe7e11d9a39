"""Who the customer behind a portal request is. A customer is a crm Contact of the tenant
signed in through a magic link; they never have a Django session of an agent.

Interface shared by the portal's pages (sign-in fills it in)."""

from dataclasses import dataclass

from django.http import HttpRequest

from casedesk.core import clock
from casedesk.crm.models import Contact
from casedesk.portal.signin import COOKIE, session_find, session_touch
from casedesk.tenancy.models import Tenant

# Where the request keeps the customer it was found to be (a page may ask more than once).
_CACHED = "_portal_customer"


@dataclass(frozen=True)
class Customer:
    tenant: Tenant
    contact: Contact
    # A contact flagged as their account's portal admin also sees the account's cases.
    is_account_admin: bool


def current_customer(request: HttpRequest, tenant: Tenant) -> Customer | None:
    """The signed-in customer of `tenant` behind the request, or None: the `casedesk_portal`
    cookie must name a live session of this tenant (a session of another tenant's portal is
    nobody here). Records the visit (at most every few minutes)."""
    cached = getattr(request, _CACHED, None)
    if cached is not None and cached[0] == tenant.pk:
        return cached[1]  # type: ignore[no-any-return]
    customer = None
    now = clock.now()
    session = session_find(tenant=tenant, key=request.COOKIES.get(COOKIE, ""), now=now)
    if session is not None:
        session_touch(session=session, now=now)
        contact = session.contact
        customer = Customer(tenant=tenant, contact=contact,
                            is_account_admin=contact.is_portal_admin
                            and contact.account_id is not None)
    setattr(request, _CACHED, (tenant.pk, customer))
    return customer
