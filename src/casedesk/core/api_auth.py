"""Bearer-token authentication and role checks for the API."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from casedesk.core import clock
from casedesk.core.errors import PermissionDenied
from casedesk.tenancy.models import Membership
from casedesk.tenancy.services import token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; sets `request.membership` for the handlers."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = token_authenticate(token, now=clock.now())
        if api_token is None:
            return None
        membership = api_token.membership
        membership.tenant = api_token.tenant
        request.membership = membership  # type: ignore[attr-defined]
        return membership


def member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined, no-any-return]


def require_admin(request: HttpRequest) -> Membership:
    membership = member(request)
    if not membership.is_admin:
        raise PermissionDenied("Only a tenant admin may do this.")
    return membership


def require_manager(request: HttpRequest) -> Membership:
    membership = member(request)
    if not membership.is_manager:
        raise PermissionDenied("Only a manager or admin may do this.")
    return membership
