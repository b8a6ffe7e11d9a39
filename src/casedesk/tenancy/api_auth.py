"""Bearer-token authentication and role checks for the API."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from casedesk.core import clock
from casedesk.core.errors import PermissionDenied
from casedesk.core.origin import origin_user_set
from casedesk.core.throttle import (
    TooManyFailures,
    client_ip,
    client_key,
    token_failure_record,
    token_wait,
)
from casedesk.tenancy.models import Membership
from casedesk.tenancy.services import token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; sets `request.membership` for the handlers.

    A client that presented too many bad tokens lately is answered 429 (TooManyFailures)
    before its token is looked at, good or bad, so guessing on stops paying (core.throttle)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        now = clock.now()
        client = client_key(client_ip(request))
        wait = token_wait(client, now=now)
        if wait is not None:
            raise TooManyFailures(wait)
        api_token = token_authenticate(token, now=now)
        if api_token is None:
            token_failure_record(client, now=now)
            return None
        membership = api_token.membership
        membership.tenant = api_token.tenant
        request.membership = membership  # type: ignore[attr-defined]
        origin_user_set(membership.user_id, membership.user.email)
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
