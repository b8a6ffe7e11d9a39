"""Writes for tenants, memberships and API tokens."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.tenancy.models import ApiToken, Membership, Role, Tenant, User
from casedesk.tenancy.tokens import new_token, token_digest, token_display_prefix


def user_get_or_create(*, email: str, full_name: str = "", password: str | None = None) -> User:
    """The user with this email, created when new; a given password is (re)set."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        return User.objects.create_user(email, password, full_name=full_name)
    changed = False
    if full_name and user.full_name != full_name:
        user.full_name = full_name
        changed = True
    if password:
        user.set_password(password)
        changed = True
    if changed:
        user.save()
    return user


@transaction.atomic
def tenant_create(*, slug: str, name: str, admin_email: str, admin_password: str | None = None,
                  admin_name: str = "") -> Tenant:
    """A new tenant with its defaults (picklists, queues) and a first admin; one transaction."""
    from casedesk.cases.numbering import case_numbers_prepare
    from casedesk.cases.picklists import picklists_seed_defaults
    from casedesk.routing.services import queues_seed_defaults

    if slugify(slug) != slug or not slug:
        raise Invalid("The slug may hold only lower-case letters, digits and hyphens.",
                      field="slug")
    if Tenant.objects.filter(slug=slug).exists():
        raise Conflict(f"A tenant with the slug {slug!r} exists already.")
    tenant = Tenant.objects.create(slug=slug, name=name)
    user = user_get_or_create(email=admin_email, full_name=admin_name, password=admin_password)
    Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
    picklists_seed_defaults(tenant)
    queues_seed_defaults(tenant)
    case_numbers_prepare(tenant)
    return tenant


def membership_add(*, tenant: Tenant, user: User, role: str = Role.AGENT,
                   **facts: object) -> Membership:
    """Adds `user` to `tenant` with `role`, or updates the existing membership; the other
    facts (manager, skills, territory, capacity) change only when given."""
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role, **facts}
    )
    return membership


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def token_create(*, membership: Membership, name: str = "") -> IssuedToken:
    """A new API token acting as `membership`; the secret is returned once and never stored."""
    secret = new_token()
    token = ApiToken.objects.create(
        tenant=membership.tenant,
        membership=membership,
        name=name,
        prefix=token_display_prefix(secret),
        digest=token_digest(secret),
    )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, now: datetime) -> ApiToken:
    """Revokes `token`; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(secret: str, *, now: datetime) -> ApiToken | None:
    """The live token for `secret`, with membership, user and tenant loaded; None otherwise."""
    try:
        digest = token_digest(secret)
    except UnicodeError:
        return None
    # Every API request runs this: slicing instead of .first() keeps ORDER BY (and its
    # compilation) out of a lookup by a unique column.
    rows = list(ApiToken.objects.select_related("membership__user", "tenant")
                .filter(digest=digest, revoked_at__isnull=True)[:1])
    token = rows[0] if rows else None
    if token is None or not token.membership.is_active or not token.membership.user.is_active:
        return None
    # Writing on every request would put a row lock on the hot path; a minute is fine-grained
    # enough for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def membership_for(*, tenant_slug: str, email: str) -> Membership:
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(tenant__slug=tenant_slug, user__email=email.strip().lower())
        .first()
    )
    if membership is None:
        if not Tenant.objects.filter(slug=tenant_slug).exists():
            raise NotFound(f"No tenant with the slug {tenant_slug!r}.")
        raise NotFound(f"{email} is not a member of tenant {tenant_slug!r}.")
    return membership
