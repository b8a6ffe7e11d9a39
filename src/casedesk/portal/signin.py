"""Customers sign in to a tenant's portal by a link mailed to them: no passwords.

- `signin_request`: a contact of the tenant asks for a link; the mail goes through the
  outbox as an account mail (its body is never shown on the outbox pages, at most
  `mail.outbox.ACCOUNT_MAILS_PER_HOUR` an hour per address). An unknown address gets
  nothing, and the caller answers the same page either way: the form tells no one who is a
  contact.
- `signin_link_find` / `signin_complete`: the link's token is random (`secrets`), kept only
  as its sha256 digest, expires after LINK_LIFETIME and works once. Opening the link only
  shows a button (mail scanners fetch links); posting it makes a portal session.
- A portal session is a row holding the digest of a random key the browser keeps in the
  `casedesk_portal` cookie, scoped to the tenant's portal path. It is never a Django session
  and signs no one in to the console or the API.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse

from casedesk.core.errors import DomainError, Invalid
from casedesk.core.text import check_text, is_storable
from casedesk.crm.models import Contact
from casedesk.mail.outbox import queue_account_mail
from casedesk.portal.config import portal_settings
from casedesk.portal.models import PortalSession, SignInLink, SignInRequest
from casedesk.tenancy.models import Tenant

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=30)
# A session's last visit is written at most this often, not on every page.
TOUCH_EVERY = timedelta(minutes=5)
COOKIE = "casedesk_portal"
_TOKEN_BYTES = 32
# Sign-in links one network may ask for: each known address gets at most five mails an hour
# (the outbox's cap), and this keeps one network from mailing every contact of a tenant.
REQUESTS_PER_CLIENT = 10
REQUEST_WINDOW = timedelta(minutes=10)
# A token or key as `secrets.token_urlsafe(32)` makes it.
_TOKEN_MAX = 64


class LinkRefused(Exception):  # noqa: N818 - a refusal shown to the customer, not a fault
    """The sign-in link was used already, has expired or never existed (one clear page)."""


def digest(secret: str) -> str:
    """The sha256 of a token or session key: what the tables keep instead of it."""
    return hashlib.sha256(secret.encode()).hexdigest()


def brand_name(tenant: Tenant) -> str:
    """What the portal calls itself: the display name set for it, else the tenant's name."""
    return portal_settings(tenant).display_name or tenant.name


def portal_path(tenant: Tenant) -> str:
    """The path the portal's cookie is scoped to."""
    return reverse("portal:home", args=[tenant.slug])


def _contact(tenant: Tenant, email: str) -> Contact | None:
    return Contact.objects.filter(tenant=tenant, email__iexact=email.strip()).first()


class TooManyRequests(DomainError):
    """The network asked for REQUESTS_PER_CLIENT links within REQUEST_WINDOW: 429."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many sign-in links were asked for from your network. Please try "
                         f"again in {max(1, retry_after // 60)} minute(s).")
        self.retry_after = retry_after


def signin_request_count(*, tenant: Tenant, client: str, now: datetime) -> None:
    """Counts one request for a link from `client` (in the caller's transaction), or refuses
    it (TooManyRequests, nothing counted) once the network has asked REQUESTS_PER_CLIENT
    times within REQUEST_WINDOW."""
    times = list(SignInRequest.objects.filter(
        tenant=tenant, client=client, created_at__gt=now - REQUEST_WINDOW,
    ).order_by("-created_at").values_list("created_at", flat=True)[:REQUESTS_PER_CLIENT])
    if len(times) >= REQUESTS_PER_CLIENT:
        raise TooManyRequests(max(1, int((times[-1] + REQUEST_WINDOW - now)
                                         .total_seconds()) + 1))
    SignInRequest.objects.create(tenant=tenant, client=client[:64], created_at=now)


def signin_request(*, tenant: Tenant, email: str, base_url: str, now: datetime) -> bool:
    """Mails a sign-in link to `email` when it is a contact of the tenant; True when a mail
    was queued. An unknown address, or one that had its hour's share of account mails, gets
    nothing (the caller's answer must not tell which). One transaction."""
    email = check_text(email.strip(), field="email", label="The email address")
    if not email or "@" not in email or len(email) > 254:
        raise Invalid("Enter your email address.", field="email")
    contact = _contact(tenant, email)
    if contact is None:
        return False
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    link = base_url.rstrip("/") + reverse("portal:signin_link", args=[tenant.slug, token])
    brand = brand_name(tenant)
    sender_name = portal_settings(tenant).sender_name
    sender = sender_name or brand
    body = (f"Hello{' ' + contact.name if contact.name else ''},\n\n"
            f"Open this link to sign in to {brand}'s support portal:\n\n{link}\n\n"
            f"The link works once, within {int(LINK_LIFETIME.total_seconds() // 60)} minutes. "
            "If you did not ask for it, ignore this mail: nobody can sign in without it.\n\n"
            f"{sender}\n")
    with transaction.atomic():
        queued = queue_account_mail(tenant, contact.email, f"Sign in to {brand}", body, now,
                                    sender_name=sender_name)
        if queued:
            SignInLink.objects.create(tenant=tenant, contact=contact, digest=digest(token),
                                      created_at=now, expires_at=now + LINK_LIFETIME)
    return queued


def signin_link_find(*, tenant: Tenant, token: str, now: datetime) -> SignInLink:
    """The unused, unexpired link of the tenant `token` opens, or LinkRefused."""
    if not token or len(token) > _TOKEN_MAX or not is_storable(token):
        raise LinkRefused
    link = (SignInLink.objects.select_related("contact")
            .filter(tenant=tenant, digest=digest(token)).first())
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise LinkRefused
    return link


@dataclass(frozen=True)
class NewSession:
    """A session just made, and the key for the browser's cookie (kept nowhere else)."""

    session: PortalSession
    key: str


def signin_complete(*, tenant: Tenant, token: str, now: datetime) -> NewSession:
    """Uses the link up and opens a portal session for its contact, recording the visit.
    One transaction, the link's row locked: two posts of one link make one session; the
    second is refused (LinkRefused)."""
    with transaction.atomic():
        link = signin_link_find(tenant=tenant, token=token, now=now)
        link = SignInLink.objects.select_for_update().select_related("contact").get(pk=link.pk)
        if link.used_at is not None:
            raise LinkRefused
        link.used_at = now
        link.save(update_fields=["used_at"])
        key = secrets.token_urlsafe(_TOKEN_BYTES)
        session = PortalSession.objects.create(
            tenant=tenant, contact=link.contact, digest=digest(key), created_at=now,
            last_seen_at=now, expires_at=now + SESSION_LIFETIME)
        # update() rather than save(): the contact's own updated_at tells of CRM edits.
        Contact.objects.filter(pk=link.contact_id).update(last_portal_visit_at=now)
    return NewSession(session, key)


def session_find(*, tenant: Tenant, key: str, now: datetime) -> PortalSession | None:
    """The live session of the tenant the cookie's `key` names, or None."""
    if not key or len(key) > _TOKEN_MAX or not is_storable(key):
        return None
    return (PortalSession.objects.select_related("contact", "contact__account")
            .filter(tenant=tenant, digest=digest(key), expires_at__gt=now).first())


def session_touch(*, session: PortalSession, now: datetime) -> None:
    """Records a visit (the session's and the contact's last one), at most every
    TOUCH_EVERY."""
    if now - session.last_seen_at < TOUCH_EVERY:
        return
    with transaction.atomic():
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now)
        Contact.objects.filter(pk=session.contact_id).update(last_portal_visit_at=now)
    session.last_seen_at = now


def session_end(*, tenant: Tenant, key: str) -> None:
    """Signs out: the session's row is deleted (a stolen cookie stops working too)."""
    if key and len(key) <= _TOKEN_MAX and is_storable(key):
        PortalSession.objects.filter(tenant=tenant, digest=digest(key)).delete()
