"""Invitations: an admin asks someone to join the tenant by email; they accept through a
signed, single-use link that works for 7 days.

The link's token is the invitation's id and nonce, signed with the installation's secret key
(`django.core.signing`), so a guessed or altered link is refused before any row is read.
Expiry and single use are kept in the row (`expires_at`, `accepted_at`, `revoked_at`), so
they follow the clock passed in as `now`, and resending (a new nonce) retires the old link.
The mail goes through the outbox in the same transaction as the change that calls for it.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.limits import check_fits
from casedesk.core.text import check_text, is_storable
from casedesk.tenancy import hooks
from casedesk.tenancy.audit import audit_created, audit_record
from casedesk.tenancy.models import Invitation, Membership, Role, Tenant, User
from casedesk.tenancy.services import clean_member_facts

INVITATION_DAYS = 7
_SALT = "casedesk.tenancy.invitation"
MAX_TOKEN_LENGTH = 200


class InvitationRefused(Exception):
    """The link cannot be used (any more): `reason` says why, for the person holding it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invitation_token(invitation: Invitation) -> str:
    return signing.Signer(salt=_SALT).sign(f"{invitation.pk}.{invitation.nonce}")


def invitation_path(invitation: Invitation) -> str:
    return f"/invitations/{invitation_token(invitation)}"


def invitation_for_token(token: str, *, now: datetime) -> Invitation:
    """The open invitation the link's token names, or InvitationRefused saying why not."""
    if len(token) > MAX_TOKEN_LENGTH or not is_storable(token):
        raise InvitationRefused("This invitation link is not valid.")
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        raise InvitationRefused("This invitation link is not valid.") from None
    pk, _, nonce = value.partition(".")
    invitation = (Invitation.objects.select_related("tenant", "invited_by")
                  .filter(pk=int(pk)).first() if pk.isdecimal() else None)
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationRefused("This invitation was withdrawn. Ask the person who invited "
                                "you for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationRefused("This invitation has been used already. Sign in instead.")
    if not secrets.compare_digest(invitation.nonce, nonce):
        raise InvitationRefused("A newer invitation was sent for this address: use the link "
                                "in the latest mail.")
    if invitation.expires_at <= now:
        raise InvitationRefused("This invitation has expired. Ask the person who invited you "
                                "to send it again.")
    return invitation


@dataclass(frozen=True)
class InvitationInput:
    email: str
    role: str = Role.AGENT
    manager_id: int | None = None
    skills: Sequence[str] = ()
    territory: str = ""
    capacity: int = 20
    queue_ids: Sequence[int] = ()


def _clean(tenant: Tenant, data: InvitationInput) -> dict[str, Any]:
    email = (data.email or "").strip().lower()
    check_text(email, field="email", label="The address")
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(f"{email!r} is not an email address.", field="email") from None
    check_fits(Invitation, {"email": email})
    facts = clean_member_facts(tenant.pk, {
        "role": data.role, "manager_id": data.manager_id, "skills": list(data.skills),
        "territory": data.territory, "capacity": data.capacity})
    queue_ids = list(dict.fromkeys(data.queue_ids))
    known = {pk for pk, _ in hooks.queue_choices(tenant)}
    unknown = [pk for pk in queue_ids if pk not in known]
    if unknown:
        raise Invalid(f"No active queue with id {unknown[0]} in this tenant.",
                      field="queue_ids")
    return {"email": email, **facts, "queue_ids": queue_ids}


def _mail(invitation: Invitation, base_url: str, now: datetime) -> None:
    tenant = invitation.tenant
    inviter = invitation.invited_by.display_name if invitation.invited_by else "An admin"
    role = Role(invitation.role).label.lower()
    expires = invitation.expires_at.strftime("%d %b %Y, %H:%M UTC")
    body = (
        f"{inviter} invited you to work in {tenant.name} on casedesk, as {role}.\n\n"
        f"Accept the invitation here (the link works once, until {expires}):\n"
        f"{base_url.rstrip('/')}{invitation_path(invitation)}\n\n"
        "If you have an account already, you join with it; otherwise you choose a "
        "password.\nIf you did not expect this invitation, ignore this mail.\n")
    if not hooks.send_account_mail(tenant, invitation.email,
                                   f"You are invited to {tenant.name}", body, now):
        raise Conflict(f"{invitation.email} has had several mails from us within the hour: "
                       "try again later.")


def _audit_values(invitation: Invitation) -> dict[str, Any]:
    """What the audit log keeps of an invitation (never its link's nonce)."""
    return {"email": invitation.email, "role": invitation.role,
            "manager": invitation.manager.user.email if invitation.manager else None,
            "skills": invitation.skills, "territory": invitation.territory,
            "capacity": invitation.capacity, "queue_ids": invitation.queue_ids,
            "expires_at": invitation.expires_at}


def invitation_create(*, tenant: Tenant, actor: User, data: InvitationInput, base_url: str,
                      now: datetime) -> Invitation:
    """Invites `data.email` to the tenant with the role, manager, routing facts and queues
    given, and mails the link. Refuses someone who is a member already (an inactive member is
    re-activated instead) and an address with an open invitation (resend that one)."""
    values = _clean(tenant, data)
    member = Membership.objects.filter(tenant=tenant, user__email=values["email"]).first()
    if member is not None:
        state = "a member" if member.is_active else "a deactivated member: re-activate them"
        raise Conflict(f"{values['email']} is {state} of this tenant already.")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                tenant=tenant, invited_by=actor, nonce=secrets.token_urlsafe(16), sent_at=now,
                expires_at=now + timedelta(days=INVITATION_DAYS), created_at=now, **values)
            _mail(invitation, base_url, now)
            audit_created(tenant=tenant, actor=actor, action="member.invited",
                          target_type="invitation", target_id=invitation.pk,
                          target_label=invitation.email, values=_audit_values(invitation))
    except IntegrityError:
        raise Conflict(f"{values['email']} has an open invitation already: resend it or "
                       "withdraw it first.") from None
    return invitation


def invitation_resend(*, invitation: Invitation, base_url: str, now: datetime,
                      actor: User | None = None) -> Invitation:
    """Mails the invitation again with a new link, good for another 7 days; the earlier link
    stops working."""
    with transaction.atomic():
        locked = _lock_open(invitation)
        old_expiry = locked.expires_at
        locked.nonce = secrets.token_urlsafe(16)
        locked.sent_at = now
        locked.expires_at = now + timedelta(days=INVITATION_DAYS)
        locked.save(update_fields=["nonce", "sent_at", "expires_at"])
        _mail(locked, base_url, now)
        audit_record(tenant=locked.tenant_id, actor=actor, action="invitation.resent",
                     target_type="invitation", target_id=locked.pk, target_label=locked.email,
                     changes={"expires_at": [old_expiry, locked.expires_at]})
    return locked


def invitation_revoke(*, invitation: Invitation, now: datetime,
                      actor: User | None = None) -> Invitation:
    """Withdraws the invitation: its link stops working. Audited."""
    with transaction.atomic():
        locked = _lock_open(invitation)
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at"])
        audit_record(tenant=locked.tenant_id, actor=actor, action="invitation.revoked",
                     target_type="invitation", target_id=locked.pk, target_label=locked.email,
                     changes={"revoked_at": [None, now]})
    return locked


def _lock_open(invitation: Invitation) -> Invitation:
    locked = (Invitation.objects.select_for_update(of=("self",))
              .select_related("tenant", "invited_by")
              .get(pk=invitation.pk))
    if locked.accepted_at is not None:
        raise Conflict(f"{locked.email} accepted the invitation already.")
    if locked.revoked_at is not None:
        raise Conflict("The invitation was withdrawn.")
    return locked


def invitation_accept(*, invitation: Invitation, user: User | None, full_name: str = "",
                      password: str = "", now: datetime) -> Membership:
    """The invitee joins the tenant, once. Someone who has an account already (in another
    tenant, say) joins with it and must be signed in as that address (`user`); anyone else
    gets an account with `full_name` and `password` (Django's password checks apply). The
    member gets the invitation's role, manager, routing facts and queues."""
    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None and not existing.is_active:
        raise Conflict(f"The account {invitation.email} is disabled on this installation.")
    if user is not None and (existing is None or user.pk != existing.pk):
        raise Conflict(f"This invitation is for {invitation.email}; you are signed in as "
                       f"{user.email}. Sign out first.")
    sets_password = existing is None or (not existing.has_usable_password() and user is None)
    if sets_password:
        full_name = (full_name or (existing.full_name if existing else "")).strip()
        _check_new_account(invitation.email, full_name, password)
    elif user is None:
        raise Conflict(f"{invitation.email} has an account already: sign in as "
                       f"{invitation.email} to accept.")
    with transaction.atomic():
        locked = _lock_open(invitation)
        if locked.expires_at <= now:
            raise Conflict("This invitation has expired. Ask the person who invited you to "
                           "send it again.")
        if existing is None:
            existing = User.objects.create_user(locked.email, password, full_name=full_name)
        elif sets_password:
            # An account made without a password (by a script, say) gets the one its owner
            # chooses now, as a new account would.
            existing.set_password(password)
            existing.full_name = full_name
            existing.save(update_fields=["password", "full_name"])
        membership, _ = Membership.objects.update_or_create(
            tenant=locked.tenant, user=existing, defaults={
                "role": locked.role, "manager": locked.manager, "skills": locked.skills,
                "territory": locked.territory, "capacity": locked.capacity,
                "is_active": True})
        hooks.join_queues(membership, locked.queue_ids)
        locked.accepted_at = now
        locked.accepted_by = existing
        locked.save(update_fields=["accepted_at", "accepted_by"])
        values = _audit_values(locked)
        del values["expires_at"]
        audit_created(tenant=locked.tenant, actor=existing, action="member.joined",
                      target_type="member", target_id=existing.pk,
                      target_label=existing.email, values=values)
    return membership


def _check_new_account(email: str, full_name: str, password: str) -> None:
    check_text(full_name, field="full_name", label="Your name")
    check_fits(User, {"full_name": full_name})
    if not full_name:
        raise Invalid("Tell your colleagues your name.", field="full_name")
    check_text(password, field="password", label="The password")
    try:
        validate_password(password, User(email=email, full_name=full_name))
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), field="password") from None


def account_of(invitation: Invitation) -> User | None:
    """The account the invited address has already, if any."""
    return User.objects.filter(email=invitation.email).first()


def open_invitations(tenant: Tenant) -> list[Invitation]:
    """The tenant's invitations not yet accepted or withdrawn (expired ones too: they may be
    resent), newest first."""
    return list(Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True,
                                          revoked_at__isnull=True)
                .select_related("invited_by", "manager__user").order_by("-sent_at", "-pk"))


def get_invitation(tenant: Tenant, invitation_id: int) -> Invitation:
    """One of the tenant's invitations by id, or NotFound (for another tenant's too)."""
    invitation = (Invitation.objects.select_related("tenant", "invited_by")
                  .filter(tenant=tenant, pk=invitation_id).first()
                  if 0 < invitation_id < 2**63 else None)
    if invitation is None:
        raise NotFound(f"No invitation with id {invitation_id}.")
    return invitation
