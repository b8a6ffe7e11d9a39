"""Writes for tenants, memberships and API tokens."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.text import slugify

from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.limits import check_fits
from casedesk.core.models import ApiAuthFailures
from casedesk.core.rows import Columns, converted
from casedesk.core.schemas import MAX_ID
from casedesk.core.text import check_text, check_texts, is_storable
from casedesk.core.throttle import (
    TooManyFailures,
    failure_columns_sql,
    token_wait,
    token_wait_of,
)
from casedesk.tenancy.audit import (
    SECRET,
    audit_change,
    audit_created,
    audit_record,
    audit_snapshot,
)
from casedesk.tenancy.availability import MAX_CAPACITY, MAX_TERRITORY_LENGTH, clean_skills
from casedesk.tenancy.models import ApiToken, Availability, Membership, Role, Tenant, User
from casedesk.tenancy.tokens import new_token, token_digest, token_display_prefix


def user_get_or_create(*, email: str, full_name: str = "", password: str | None = None) -> User:
    """The user with this email, created when new; a given password is (re)set."""
    check_texts({"email": email, "full_name": full_name}, ("email", "full_name"))
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
def tenant_add(*, slug: str, name: str, admin_email: str, admin_password: str | None = None,
               admin_name: str = "") -> Membership:
    """A new, empty tenant and its first admin (whose membership is returned). A tenant that
    can work also needs its defaults: `casedesk.ops.provisioning.tenant_create` adds them."""
    check_text(name, field="name")
    if slugify(slug) != slug or not slug:
        raise Invalid("The slug may hold only lower-case letters, digits and hyphens.",
                      field="slug")
    if Tenant.objects.filter(slug=slug).exists():
        raise Conflict(f"A tenant with the slug {slug!r} exists already.")
    tenant = Tenant.objects.create(slug=slug, name=name)
    user = user_get_or_create(email=admin_email, full_name=admin_name, password=admin_password)
    return Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)


@transaction.atomic
def member_add(*, tenant: Tenant, email: str, role: str, full_name: str = "",
               password: str | None = None,
               actor: User | None = None) -> tuple[Membership, bool]:
    """Makes the person with `email` an active member of `tenant` with `role` (the user is
    created when new; a given password is set, after Django's password checks). Answers the
    membership and whether it is new. An existing member's role changes, but the tenant's
    last active admin is not demoted."""
    if role not in Role.values:
        raise Invalid(f"The role is one of {', '.join(Role.values)}.", field="role")
    email = (email or "").strip().lower()
    check_texts({"email": email, "full_name": full_name}, ("email", "full_name"))
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(f"{email!r} is not an email address.", field="email") from None
    if password is not None:
        try:
            validate_password(password)
        except ValidationError as error:
            raise Invalid(" ".join(error.messages), field="password") from None
    user = user_get_or_create(email=email, full_name=full_name, password=password)
    current = (Membership.objects.select_for_update()
               .filter(tenant=tenant, user=user).first())
    if current is not None and role != Role.ADMIN and is_last_active_admin(current):
        raise Conflict(f"{email} is the tenant's last active admin: make someone else admin "
                       "first.")
    before = member_audit_state(current) if current is not None else {}
    membership, created = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role, "is_active": True})
    after = member_audit_state(membership)
    audit_change(tenant=tenant, actor=actor,
                 action="member.added" if created else _member_action(before, after),
                 target_type="member", target_id=user.pk, target_label=user.email,
                 before=before, after=after)
    return membership, created


def membership_add(*, tenant: Tenant, user: User, role: str = Role.AGENT,
                   **facts: object) -> Membership:
    """Adds `user` to `tenant` with `role`, or updates the existing membership; the other
    facts (manager, skills, territory, capacity) change only when given."""
    membership, _ = Membership.objects.update_or_create(
        tenant=tenant, user=user, defaults={"role": role, **facts}
    )
    return membership


# What the audit log keeps of a membership; availability is presence, changed all day long,
# not a change of access.
MEMBER_AUDITED = ("role", "skills", "territory", "capacity", "is_active")


def member_audit_state(membership: Membership) -> dict[str, Any]:
    manager = membership.manager
    return {**audit_snapshot(membership, MEMBER_AUDITED),
            "manager": manager.user.email if manager is not None else None}


def _member_action(before: dict[str, Any], after: dict[str, Any]) -> str:
    """`member.deactivated` / `.reactivated`, `member.role_changed`, else `member.updated`."""
    moved = {k for k in after if before.get(k) != after[k]}
    if "is_active" in moved:
        return "member.reactivated" if after["is_active"] else "member.deactivated"
    if moved == {"role"}:
        return "member.role_changed"
    return "member.updated"


MEMBER_FIELDS = ("role", "manager_id", "skills", "territory", "capacity", "availability",
                 "is_active")


def clean_member_facts(tenant_id: int, changes: dict[str, Any], *,
                       membership_pk: int | None = None) -> dict[str, Any]:
    """A member's role, manager and routing facts as stored, checked: `manager_id` (a user
    id) becomes `manager` (their membership in the tenant, not the member themselves)."""
    unknown = sorted(set(changes) - set(MEMBER_FIELDS))
    if unknown:
        raise Invalid(f"{unknown[0]} cannot be changed here.", field=unknown[0])
    values = dict(changes)
    check_texts(values, ("skills", "territory"))
    if "role" in values and values["role"] not in Role.values:
        raise Invalid(f"role is one of {', '.join(Role.values)}.", field="role")
    if "availability" in values and values["availability"] not in Availability.values:
        raise Invalid(f"availability is one of {', '.join(Availability.values)}.",
                      field="availability")
    if "capacity" in values and not 0 <= values["capacity"] <= MAX_CAPACITY:
        raise Invalid(f"capacity is from 0 to {MAX_CAPACITY}.", field="capacity")
    if "skills" in values:
        values["skills"] = clean_skills(values["skills"])
    if "territory" in values:
        values["territory"] = values["territory"].strip()
        if len(values["territory"]) > MAX_TERRITORY_LENGTH:
            raise Invalid(f"A territory has at most {MAX_TERRITORY_LENGTH} characters.",
                          field="territory")
    if "manager_id" in values:
        manager_id = values.pop("manager_id")
        manager = None
        if manager_id is not None:
            manager = (Membership.objects.filter(tenant_id=tenant_id, user_id=manager_id)
                       .first() if 0 < manager_id <= MAX_ID else None)
            if manager is None:
                raise Invalid(f"No member with user id {manager_id}.", field="manager_id")
            if manager.pk == membership_pk:
                raise Invalid("A member cannot be their own manager.", field="manager_id")
        values["manager"] = manager
    return values


def is_last_active_admin(membership: Membership) -> bool:
    """Whether no one else can run the tenant if `membership` stops being an active admin."""
    return (membership.role == Role.ADMIN and membership.is_active
            and not Membership.objects.filter(
                tenant_id=membership.tenant_id, role=Role.ADMIN, is_active=True,
                user__is_active=True).exclude(pk=membership.pk).exists())


def membership_update(*, membership: Membership, actor: Membership,
                      changes: dict[str, Any]) -> Membership:
    """An admin (`actor`) changes a member's role, manager, routing facts (skills, territory,
    capacity, availability) or whether they are active: the fields in `changes`, in one
    write under the membership's row lock (the lock routing takes while it assigns).

    A member made inactive can no longer sign in to the tenant or use its API tokens (both
    look at the membership on every request), and routing gives them nothing; their open
    cases stay theirs until someone reassigns them (the people page lists them). Refuses,
    changing nothing: a manager who is not a member of the tenant, a member managing
    themselves, the acting admin removing their own admin rights, and demoting or
    deactivating the tenant's last active admin."""
    values = clean_member_facts(membership.tenant_id, changes, membership_pk=membership.pk)
    if membership.pk == actor.pk and (values.get("role", Role.ADMIN) != Role.ADMIN
                                      or values.get("is_active") is False):
        raise Invalid("You cannot remove your own admin rights.", field="role")
    if not values:
        return membership
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if (values.get("role", Role.ADMIN) != Role.ADMIN or values.get("is_active") is False) \
                and is_last_active_admin(locked):
            raise Conflict(f"{membership.user.email} is the tenant's last active admin: make "
                           "someone else admin first.")
        before = member_audit_state(locked)
        for name, value in values.items():
            setattr(locked, name, value)
            setattr(membership, name, value)
        locked.save(update_fields=list(values))
        after = member_audit_state(locked)
        audit_change(tenant=locked.tenant_id, actor=actor.user,
                     action=_member_action(before, after), target_type="member",
                     target_id=membership.user_id, target_label=membership.user.email,
                     before=before, after=after)
    return membership


TENANT_SETTINGS = ("name", "time_zone", "routing_enabled", "reroute_on_category_change",
                   "reopen_limit", "reopen_window_hours", "parent_close_needs_children_closed",
                   "kb_agents_may_draft")
MAX_REOPEN_LIMIT = 100
MAX_REOPEN_WINDOW_HOURS = 24 * 365


SettingsUpdate = Callable[[Tenant, dict[str, Any]], object]
_SETTINGS_SECTIONS: dict[str, SettingsUpdate] = {}


def settings_section_register(names: Iterable[str], update: SettingsUpdate) -> None:
    """A higher app (SLA, for one) owns some of the tenant's settings: the API's one settings
    endpoint hands those names to `update(tenant, changes)`, in the same transaction. Called
    from the app's `ready()`."""
    for name in names:
        _SETTINGS_SECTIONS[name] = update


def tenant_settings_change(*, tenant: Tenant, changes: dict[str, Any]) -> Tenant:
    """Changes any of the tenant's settings in one transaction: its own here, the rest by the
    app that registered them (`settings_section_register`)."""
    own = dict(changes)
    sections: dict[SettingsUpdate, dict[str, Any]] = {}
    for name in list(own):
        if name in _SETTINGS_SECTIONS:
            sections.setdefault(_SETTINGS_SECTIONS[name], {})[name] = own.pop(name)
    with transaction.atomic():  # all the settings sent, or none
        tenant_settings_update(tenant=tenant, changes=own)
        for update, section in sections.items():
            update(tenant, section)
    return tenant


def is_time_zone(name: str) -> bool:
    """Whether `name` is a zone the zoneinfo database knows (e.g. "Europe/Berlin")."""
    if not name or not is_storable(name) or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def tenant_settings_update(*, tenant: Tenant, changes: dict[str, Any],
                           actor: User | None = None) -> Tenant:
    """Changes the tenant's name, time zone (an IANA name: business hours and every page's
    times use it), and routing, re-open and closing settings; `reopen_window_hours` sets the re-open
    window in whole hours."""
    unknown = set(changes) - set(TENANT_SETTINGS)
    if unknown:
        raise Invalid(f"{sorted(unknown)[0]} is not a tenant setting.",
                      field=sorted(unknown)[0])
    values = dict(changes)
    if "name" in values:
        values["name"] = values["name"].strip()
        check_text(values["name"], field="name", label="The tenant's name")
        if not values["name"]:
            raise Invalid("The tenant needs a name.", field="name")
    if "time_zone" in values:
        values["time_zone"] = values["time_zone"].strip()
        if not is_time_zone(values["time_zone"]):
            raise Invalid(f"{values['time_zone']!r} is not a time zone name such as "
                          "Europe/Berlin.", field="time_zone")
    check_fits(Tenant, values)
    if "reopen_limit" in values and not 0 <= values["reopen_limit"] <= MAX_REOPEN_LIMIT:
        raise Invalid(f"reopen_limit is from 0 to {MAX_REOPEN_LIMIT}.", field="reopen_limit")
    if "reopen_window_hours" in values:
        hours = values.pop("reopen_window_hours")
        if not 0 <= hours <= MAX_REOPEN_WINDOW_HOURS:
            raise Invalid(f"reopen_window_hours is from 0 to {MAX_REOPEN_WINDOW_HOURS}.",
                          field="reopen_window_hours")
        values["reopen_window"] = timedelta(hours=hours)
    if not values:
        return tenant
    with transaction.atomic():
        before = audit_snapshot(tenant, values)
        for name, value in values.items():
            setattr(tenant, name, value)
        tenant.save(update_fields=list(values))
        audit_change(tenant=tenant, actor=actor, action="tenant_settings.updated",
                     target_type="tenant", target_id=tenant.pk, target_label=tenant.name,
                     before=before, after=audit_snapshot(tenant, values))
    return tenant


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def token_create(*, membership: Membership, name: str = "", read_only: bool = False,
                 actor: User | None = None) -> IssuedToken:
    """A new API token acting as `membership`; the secret is returned once and never stored.
    A `read_only` token may read but not change anything (API and MCP refuse its writes).
    Audited with its name and display prefix, never the secret (`actor` defaults to the
    token's own member, who asked for it)."""
    check_text(name, field="name", label="The token's name")
    secret = new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            tenant=membership.tenant,
            membership=membership,
            name=name,
            prefix=token_display_prefix(secret),
            digest=token_digest(secret),
            read_only=read_only,
        )
        audit_created(tenant=membership.tenant_id, actor=actor or membership.user,
                      action="token.created", target_type="token", target_id=token.pk,
                      target_label=name or token.prefix,
                      values={"name": name, "prefix": token.prefix,
                              "member": membership.user.email, "read_only": read_only,
                              "secret": SECRET})
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, now: datetime, actor: User | None = None) -> ApiToken:
    """Revokes `token`; revoking twice keeps the first time (and is audited once)."""
    with transaction.atomic():
        # Conditional, so two revocations at once record one.
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            token.revoked_at = now
            audit_record(tenant=token.tenant_id, actor=actor, action="token.revoked",
                         target_type="token", target_id=token.pk,
                         target_label=token.name or token.prefix,
                         changes={"revoked_at": [None, now]},
                         detail={"prefix": token.prefix})
    return token


_TOKEN = Columns(ApiToken, "t")
_TOKEN_MEMBER = Columns(Membership, "m")
_TOKEN_USER = Columns(User, "u")
_TOKEN_TENANT = Columns(Tenant, "n")
_token_sql: dict[tuple[str, bool], str] = {}


def _live_token_sql(with_client: bool) -> str:
    """The token lookup with its membership, user and tenant, and with `with_client` the
    client's run of failures: written once per process (see `core.rows`)."""
    key = (connection.vendor, with_client)
    sql = _token_sql.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        parts: list[Columns[Any]] = [_TOKEN, _TOKEN_MEMBER, _TOKEN_USER, _TOKEN_TENANT]
        columns = ", ".join(part.select(connection) for part in parts)
        if with_client:
            columns += ", " + failure_columns_sql(connection)
        sql = _token_sql[key] = (
            f"SELECT {columns} FROM {quote(_TOKEN.table)} t"
            f" JOIN {quote(_TOKEN_MEMBER.table)} m ON m.{quote('id')} = t.{quote('membership_id')}"
            f" JOIN {quote(_TOKEN_USER.table)} u ON u.{quote('id')} = m.{quote('user_id')}"
            f" JOIN {quote(_TOKEN_TENANT.table)} n ON n.{quote('id')} = t.{quote('tenant_id')}"
            f" WHERE t.{quote('digest')} = %s AND t.{quote('revoked_at')} IS NULL")
    return sql


def _live_token(digest: str, client: str | None) -> tuple[ApiToken | None, int | None,
                                                          datetime | None]:
    """The unrevoked token with `digest` (membership, user and tenant loaded; the
    membership's tenant is the token's), and `client`'s run of failures read with it."""
    params = [client, client, digest] if client is not None else [digest]
    with connection.cursor() as cursor:
        cursor.execute(_live_token_sql(client is not None), params)
        row = cursor.fetchone()
    if row is None:
        return None, None, None
    token = _TOKEN.take(row, 0, connection)
    member = _TOKEN_MEMBER.take(row, _TOKEN.width, connection)
    at = _TOKEN.width + _TOKEN_MEMBER.width
    member.user = _TOKEN_USER.take(row, at, connection)
    at += _TOKEN_USER.width
    token.tenant = _TOKEN_TENANT.take(row, at, connection)
    at += _TOKEN_TENANT.width
    if member.tenant_id == token.tenant_id:
        member.tenant = token.tenant
    token.membership = member
    if client is None:
        return token, None, None
    return token, row[at], converted(ApiAuthFailures, "last_failure_at", row[at + 1],
                                     connection)


def token_authenticate(secret: str, *, now: datetime, client: str | None = None
                       ) -> ApiToken | None:
    """The live token for `secret`, with membership, user and tenant loaded; None otherwise.

    With `client` (`core.throttle.client_key`), a client held back for presenting too many
    bad tokens lately is refused (TooManyFailures) before its token counts, good or bad; its
    run of failures is read in the statement that looks the token up."""
    try:
        digest = token_digest(secret)
    except UnicodeError:
        digest = None
    token, failures, last_failure_at = (_live_token(digest, client) if digest is not None
                                        else (None, None, None))
    if client is not None:
        wait = (token_wait_of(failures, last_failure_at, now=now) if token is not None
                else token_wait(client, now=now))
        if wait is not None:
            raise TooManyFailures(wait)
    if token is None or not token.membership.is_active or not token.membership.user.is_active:
        return None
    # Writing on every request would put a row lock on the hot path; a minute is fine-grained
    # enough for "last used".
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def membership_for(*, tenant_slug: str, email: str) -> Membership:
    """The membership of `email` in the tenant `tenant_slug`, or NotFound (also for text no
    stored slug or address can hold, e.g. a command-line argument that is not UTF-8)."""
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(tenant__slug=tenant_slug, user__email=email.strip().lower())
        .first()
    ) if is_storable(tenant_slug) and is_storable(email) else None
    if membership is None:
        if not is_storable(tenant_slug) or not Tenant.objects.filter(slug=tenant_slug).exists():
            raise NotFound(f"No tenant with the slug {tenant_slug!r}.")
        raise NotFound(f"{email} is not a member of tenant {tenant_slug!r}.")
    return membership


def tenant_bump_version(tenant: Tenant, field: str) -> None:
    """Moves one of the tenant's cache versions on (`routing_version`, `sla_version`), so
    every process's cached copy of what it versions is reloaded; `tenant` sees the new
    value."""
    from django.db.models import F

    Tenant.objects.filter(pk=tenant.pk).update(**{field: F(field) + 1})
    tenant.refresh_from_db(fields=[field])
