"""Signing a customer in to a tenant's portal the way a browser does: ask for a link, take it
from the outbox, post it."""

import re

from django.test import Client

from casedesk.crm.models import Contact
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.tenancy.models import Tenant

LINK = re.compile(r"https?://\S+/sign-in/(\S+)")


def link_token(contact: Contact) -> str:
    """The token of the newest sign-in link mailed to the contact."""
    mail = (OutboundMail.objects.filter(recipient=contact.email.lower(),
                                        kind=OutboundKind.ACCOUNT)
            .order_by("-id").first())
    assert mail is not None
    found = LINK.search(mail.body)
    assert found is not None
    return found.group(1)


def signed_in(tenant: Tenant, contact: Contact, **client_options: object) -> Client:
    """A browser client signed in to the tenant's portal as the contact."""
    client = Client(**client_options)  # type: ignore[arg-type]
    client.post(f"/portal/{tenant.slug}/sign-in", {"email": contact.email})
    response = client.post(f"/portal/{tenant.slug}/sign-in/{link_token(contact)}")
    assert response.status_code == 302
    return client
