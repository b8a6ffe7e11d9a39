"""The API for who I am, the tenant's members, and my API tokens."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from casedesk.core import clock
from casedesk.core.api_auth import member, require_admin
from casedesk.core.errors import Invalid, NotFound
from casedesk.core.schemas import MAX_ID, Error, Id, Text
from casedesk.tenancy import services
from casedesk.tenancy.models import ApiToken, Membership

router = Router(tags=["people"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
RoleName = Literal["admin", "manager", "agent"]


class MemberOut(Schema):
    user_id: int
    email: str
    name: str
    role: RoleName
    manager_id: int | None
    skills: list[str]
    territory: str
    capacity: int
    is_active: bool


class MeOut(MemberOut):
    tenant: str
    tenant_name: str


class MemberPatch(Schema):
    role: RoleName | None = None
    manager_id: Id | None = None
    skills: list[Annotated[Text, Field(max_length=50)]] | None = Field(None, max_length=50)
    territory: Annotated[Text, Field(max_length=100)] | None = None
    capacity: int | None = Field(None, ge=0, le=10_000)
    is_active: bool | None = None


class TokenIn(Schema):
    name: Annotated[Text, Field(max_length=100)] = ""


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


def member_out(m: Membership) -> dict[str, Any]:
    return {
        "user_id": m.user_id, "email": m.user.email, "name": m.user.display_name,
        "role": m.role, "manager_id": m.manager.user_id if m.manager_id else None,
        "skills": m.skills, "territory": m.territory, "capacity": m.capacity,
        "is_active": m.is_active,
    }


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    m = member(request)
    return {**member_out(m), "tenant": m.tenant.slug, "tenant_name": m.tenant.name}


@router.get("/members", response={200: list[MemberOut], **ERRORS})
def list_members(request: HttpRequest) -> Any:
    rows = (Membership.objects.filter(tenant_id=member(request).tenant_id)
            .select_related("user", "manager").order_by("user__email"))
    return [member_out(m) for m in rows]


@router.patch("/members/{user_id}", response={200: MemberOut, **ERRORS})
def patch_member(request: HttpRequest, user_id: int, payload: MemberPatch) -> Any:
    """Admins change a member's role, manager and routing facts."""
    admin = require_admin(request)
    target = (Membership.objects.filter(tenant_id=admin.tenant_id, user_id=user_id)
              .select_related("user").first() if 0 < user_id <= MAX_ID else None)
    if target is None:
        raise NotFound(f"No member with user id {user_id}.")
    changes = payload.dict(exclude_unset=True)
    for name in ("role", "skills", "territory", "capacity", "is_active"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} cannot be null.", field=name)
    if "manager_id" in changes:
        manager_id = changes.pop("manager_id")
        manager = None
        if manager_id is not None:
            manager = Membership.objects.filter(tenant_id=admin.tenant_id,
                                                user_id=manager_id).first()
            if manager is None:
                raise Invalid(f"No member with user id {manager_id}.", field="manager_id")
            if manager.pk == target.pk:
                raise Invalid("A member cannot be their own manager.", field="manager_id")
        changes["manager"] = manager
    if target.pk == admin.pk and (changes.get("role", "admin") != "admin"
                                  or changes.get("is_active") is False):
        raise Invalid("You cannot remove your own admin rights.", field="role")
    for name, value in changes.items():
        setattr(target, name, value)
    target.save()
    target = Membership.objects.select_related("user", "manager").get(pk=target.pk)
    return member_out(target)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def list_tokens(request: HttpRequest) -> Any:
    """Your API tokens in this tenant (their secrets are never shown again)."""
    return ApiToken.objects.filter(membership=member(request)).order_by("id")


@router.post("/tokens", response={201: NewTokenOut, **ERRORS})
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    """A new token acting as you; `token` is shown this once."""
    issued = services.token_create(membership=member(request), name=payload.name)
    t = issued.token
    return 201, {"id": t.pk, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
                 "last_used_at": None, "revoked_at": None, "token": issued.secret}


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
