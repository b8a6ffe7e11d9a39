"""The API for who I am, the tenant's members, and my API tokens."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.core import clock
from casedesk.core.errors import Conflict, Invalid, NotFound
from casedesk.core.redirects import site_base
from casedesk.core.schemas import MAX_ID, Email, Error, Id, RequiredText, Text, fits
from casedesk.tenancy import invitations, services
from casedesk.tenancy.api_auth import member, require_admin
from casedesk.tenancy.availability import (
    MAX_SKILL_LENGTH,
    MAX_SKILLS,
    membership_set_availability,
)
from casedesk.tenancy.models import ApiToken, Invitation, Membership, Tenant, User
from casedesk.tenancy.services import MAX_REOPEN_LIMIT, MAX_REOPEN_WINDOW_HOURS

router = Router(tags=["people"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
RoleName = Literal["admin", "manager", "agent"]
AvailabilityName = Literal["available", "away", "offline"]
API_MAX_CAPACITY = 1000  # the API's bound; far above any real agent's load
MAX_SLA_SWEEP_MINUTES = 24 * 60
Skill = Annotated[Text, Field(max_length=MAX_SKILL_LENGTH)]


class MemberOut(Schema):
    user_id: int
    email: str
    name: str
    role: RoleName
    manager_id: int | None
    skills: list[str]
    territory: str
    capacity: int
    availability: AvailabilityName
    is_active: bool


class MeOut(MemberOut):
    tenant: str
    tenant_name: str


class MemberPatch(Schema):
    role: RoleName | None = None
    manager_id: Id | None = None
    skills: list[Skill] | None = Field(
        None, max_length=MAX_SKILLS, description="Short words routing matches, e.g. `billing`, "
        "`de` (a language is a skill too).")
    territory: Annotated[Text, fits(Membership, "territory")] | None = None
    capacity: int | None = Field(None, ge=0, le=API_MAX_CAPACITY, description=(
        "Open cases (in normal-priority equivalents) routing may give the member."))
    availability: AvailabilityName | None = None
    is_active: bool | None = None


class MemberIn(Schema):
    email: Email
    role: RoleName = "agent"
    name: Annotated[Text, fits(User, "full_name")] = ""
    password: Annotated[Text, Field(min_length=1, max_length=128)] | None = Field(
        None, description="Sets the new person's password (Django's password checks apply). "
        "Without one, they sign in after a password reset by email, or use "
        "`POST /invitations` instead.")


class InvitationIn(Schema):
    email: Email
    role: RoleName = "agent"
    manager_id: Id | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=MAX_SKILLS)
    territory: Annotated[Text, fits(Invitation, "territory")] = ""
    capacity: int = Field(20, ge=0, le=API_MAX_CAPACITY)
    queue_ids: list[Id] = Field(default_factory=list, max_length=200, description=(
        "The queues the person joins when they accept."))


class InvitationOut(Schema):
    id: int
    email: str
    role: RoleName
    manager_id: int | None
    skills: list[str]
    territory: str
    capacity: int
    queue_ids: list[int]
    invited_by: str | None
    sent_at: datetime
    expires_at: datetime
    expired: bool


class AvailabilityIn(Schema):
    availability: AvailabilityName


class TenantSettingsOut(Schema):
    name: str
    time_zone: str
    routing_enabled: bool
    reroute_on_category_change: bool
    reopen_limit: int
    reopen_window_hours: float
    parent_close_needs_children_closed: bool
    sla_pause_when_pending: bool
    sla_sweep_minutes: int
    kb_agents_may_draft: bool
    attachment_max_bytes: int
    attachment_types: list[str]
    retention_months: int | None


class TenantSettingsPatch(Schema):
    name: Annotated[RequiredText, fits(Tenant, "name")] | None = None
    time_zone: Annotated[Text, fits(Tenant, "time_zone")] | None = Field(None, description=(
        "An IANA time zone name, e.g. `Europe/Berlin`: business hours and pages use it."))
    routing_enabled: bool | None = Field(None, description=(
        "Route new cases with the routing rules and the fallback map."))
    reroute_on_category_change: bool | None = Field(None, description=(
        "Route an open case again when its category changes."))
    reopen_limit: int | None = Field(None, ge=0, le=MAX_REOPEN_LIMIT, description=(
        "How many times a closed case may be re-opened."))
    reopen_window_hours: int | None = Field(None, ge=0, le=MAX_REOPEN_WINDOW_HOURS,
                                            description="How long after closing, in hours.")
    parent_close_needs_children_closed: bool | None = Field(None, description=(
        "A parent case closes only when all its child cases are closed."))
    sla_pause_when_pending: bool | None = Field(None, description=(
        "SLA clocks stand still while a case waits on the customer; changing it recomputes "
        "the open cases' clocks in the background."))
    sla_sweep_minutes: int | None = Field(None, ge=0, le=MAX_SLA_SWEEP_MINUTES, description=(
        "Run the breach sweep every N minutes (`casedesk worker`); 0: only when asked."))
    kb_agents_may_draft: bool | None = Field(None, description=(
        "Agents may write knowledge-base drafts (managers and admins publish them)."))
    attachment_max_bytes: int | None = Field(None, ge=1, le=2**31 - 1, description=(
        "The largest file, in bytes, agents may attach to a reply or note (larger: 413)."))
    attachment_types: list[Annotated[Text, Field(max_length=150)]] | None = Field(
        None, max_length=50, description=(
            "The file types agents may attach, as media types (`application/pdf`) or "
            "extensions (`.pdf`); a file's type is read from its bytes. Empty: the "
            "installation's list (`CASEDESK_ATTACHMENT_TYPES`)."))
    retention_months: int | None = Field(None, ge=1, le=1200, description=(
        "Anonymise closed cases this many months after they closed; null keeps them."))


class TokenIn(Schema):
    name: Annotated[Text, fits(ApiToken, "name")] = ""
    read_only: bool = Field(False, description=(
        "The token may read but not change anything: the API answers its writes 403 and "
        "the MCP server refuses its write tools."))


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    read_only: bool


class NewTokenOut(TokenOut):
    token: str


def member_out(m: Membership) -> dict[str, Any]:
    return {
        "user_id": m.user_id, "email": m.user.email, "name": m.user.display_name,
        "role": m.role, "manager_id": m.manager.user_id if m.manager is not None else None,
        "skills": m.skills, "territory": m.territory, "capacity": m.capacity,
        "availability": m.availability, "is_active": m.is_active,
    }


def settings_out(tenant: Tenant) -> dict[str, Any]:
    return {
        "name": tenant.name,
        "time_zone": tenant.time_zone,
        "routing_enabled": tenant.routing_enabled,
        "reroute_on_category_change": tenant.reroute_on_category_change,
        "reopen_limit": tenant.reopen_limit,
        "reopen_window_hours": tenant.reopen_window.total_seconds() / 3600,
        "parent_close_needs_children_closed": tenant.parent_close_needs_children_closed,
        "sla_pause_when_pending": tenant.sla_pause_when_pending,
        "sla_sweep_minutes": tenant.sla_sweep_minutes,
        "kb_agents_may_draft": tenant.kb_agents_may_draft,
        "attachment_max_bytes": tenant.attachment_max_bytes,
        "attachment_types": list(tenant.attachment_types or []),
        "retention_months": tenant.retention_months,
    }


def _refuse_nulls(changes: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    for name, value in changes.items():
        if value is None and name not in allowed:
            raise Invalid(f"{name} cannot be null.", field=name)


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    m = member(request)
    return {**member_out(m), "tenant": m.tenant.slug, "tenant_name": m.tenant.name}


@router.get("/members", response={200: list[MemberOut], **ERRORS})
def list_members(request: HttpRequest) -> Any:
    rows = (Membership.objects.filter(tenant_id=member(request).tenant_id)
            .select_related("user", "manager").order_by("user__email"))
    return [member_out(m) for m in rows]


@router.post("/members", response={201: MemberOut, **ERRORS})
def add_member(request: HttpRequest, payload: MemberIn) -> Any:
    """Adds a person to the tenant straight away (admins), creating their account when new:
    for scripts and single sign-on set-ups. To let people choose their own password, invite
    them (`POST /invitations`). Someone who is a member already is a 409: change them with
    `PATCH /members/{user_id}`."""
    admin = require_admin(request)
    existing = Membership.objects.filter(tenant_id=admin.tenant_id,
                                         user__email=payload.email).first()
    if existing is not None:
        raise Conflict(f"{payload.email} is a member already (user id {existing.user_id}).")
    membership, _ = services.member_add(tenant=admin.tenant, email=payload.email,
                                        role=payload.role, full_name=payload.name,
                                        password=payload.password)
    return 201, member_out(Membership.objects.select_related("user", "manager")
                           .get(pk=membership.pk))


def invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk, "email": invitation.email, "role": invitation.role,
        "manager_id": invitation.manager.user_id if invitation.manager else None,
        "skills": invitation.skills, "territory": invitation.territory,
        "capacity": invitation.capacity, "queue_ids": invitation.queue_ids,
        "invited_by": invitation.invited_by.email if invitation.invited_by else None,
        "sent_at": invitation.sent_at, "expires_at": invitation.expires_at,
        "expired": invitation.expires_at <= clock.now(),
    }


@router.get("/invitations", response={200: list[InvitationOut], **ERRORS})
def list_invitations(request: HttpRequest) -> Any:
    """The invitations not yet accepted or withdrawn, newest first (admins)."""
    admin = require_admin(request)
    return [invitation_out(i) for i in invitations.open_invitations(admin.tenant)]


@router.post("/invitations", response={201: InvitationOut, **ERRORS})
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Any:
    """Invites someone by email (admins): they get a link, good once for 7 days, to join
    with the role, manager, routing facts and queues given; a new person chooses a password,
    someone with an account joins with it. The link is only ever in the mail."""
    admin = require_admin(request)
    invitation = invitations.invitation_create(
        tenant=admin.tenant, actor=admin.user, base_url=site_base(request), now=clock.now(),
        data=invitations.InvitationInput(**payload.dict()))
    return 201, invitation_out(invitation)


@router.post("/invitations/{invitation_id}/resend", response={200: InvitationOut, **ERRORS})
def resend_invitation(request: HttpRequest, invitation_id: int) -> Any:
    """Mails the invitation again with a new link for another 7 days; the old link stops
    working (admins)."""
    admin = require_admin(request)
    invitation = invitations.get_invitation(admin.tenant, invitation_id)
    return invitation_out(invitations.invitation_resend(
        invitation=invitation, base_url=site_base(request), now=clock.now()))


@router.delete("/invitations/{invitation_id}", response={200: InvitationOut, **ERRORS})
def revoke_invitation(request: HttpRequest, invitation_id: int) -> Any:
    """Withdraws the invitation: its link stops working (admins)."""
    admin = require_admin(request)
    invitation = invitations.get_invitation(admin.tenant, invitation_id)
    return invitation_out(invitations.invitation_revoke(invitation=invitation,
                                                        now=clock.now()))


@router.patch("/members/{user_id}", response={200: MemberOut, **ERRORS})
def patch_member(request: HttpRequest, user_id: int, payload: MemberPatch) -> Any:
    """Admins change a member's role, manager and routing facts, or deactivate a member
    (`is_active: false`): they can no longer sign in to this tenant or use its tokens, and
    routing skips them; their open cases are handed on with
    `POST /members/{user_id}/cases/hand-on`. The last active admin is neither demoted nor
    deactivated (409)."""
    admin = require_admin(request)
    target = (Membership.objects.filter(tenant_id=admin.tenant_id, user_id=user_id)
              .select_related("user").first() if 0 < user_id <= MAX_ID else None)
    if target is None:
        raise NotFound(f"No member with user id {user_id}.")
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, allowed=("manager_id",))
    services.membership_update(membership=target, actor=admin, changes=changes)
    return member_out(Membership.objects.select_related("user", "manager").get(pk=target.pk))


@router.put("/me/availability", response={200: MeOut, **ERRORS})
def set_my_availability(request: HttpRequest, payload: AvailabilityIn) -> Any:
    """Sets whether routing may give you cases: `available`, `away` or `offline`. Queues that
    assign by round-robin, load, skills or territory skip members who are not available."""
    membership_set_availability(membership=member(request), availability=payload.availability)
    return me(request)


@router.get("/tenant/settings", response={200: TenantSettingsOut, **ERRORS})
def get_tenant_settings(request: HttpRequest) -> Any:
    """The tenant's routing, re-open and SLA settings (admins)."""
    return settings_out(require_admin(request).tenant)


@router.patch("/tenant/settings", response={200: TenantSettingsOut, **ERRORS})
def patch_tenant_settings(request: HttpRequest, payload: TenantSettingsPatch) -> Any:
    """Changes the settings sent (admins)."""
    admin = require_admin(request)
    changes = payload.dict(exclude_unset=True)
    _refuse_nulls(changes, allowed=("retention_months",))
    services.tenant_settings_change(tenant=admin.tenant, changes=changes)
    return settings_out(admin.tenant)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def list_tokens(request: HttpRequest) -> Any:
    """Your API tokens in this tenant (their secrets are never shown again)."""
    return ApiToken.objects.filter(membership=member(request)).order_by("id")


@router.post("/tokens", response={201: NewTokenOut, **ERRORS})
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    """A new token acting as you; `token` is shown this once."""
    issued = services.token_create(membership=member(request), name=payload.name,
                                   read_only=payload.read_only)
    t = issued.token
    return 201, {"id": t.pk, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
                 "last_used_at": None, "revoked_at": None, "read_only": t.read_only,
                 "token": issued.secret}


@router.delete("/tokens/{token_id}", response={200: TokenOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    """Revokes one of your tokens (admins: any token of the tenant)."""
    m = member(request)
    qs = ApiToken.objects.filter(tenant_id=m.tenant_id, pk=token_id)
    if not m.is_admin:
        qs = qs.filter(membership=m)
    token = qs.first() if 0 < token_id <= MAX_ID else None
    if token is None:
        raise NotFound(f"No token with id {token_id}.")
    return services.token_revoke(token=token, now=clock.now())
