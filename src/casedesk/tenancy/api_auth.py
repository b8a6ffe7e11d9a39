"""Bearer-token authentication and role checks for the API."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from casedesk.core import clock
from casedesk.core.errors import PermissionDenied
from casedesk.core.origin import origin_user_set
from casedesk.core.throttle import client_ip, client_key, token_failure_record
from casedesk.tenancy.models import ApiToken, Membership
from casedesk.tenancy.services import token_authenticate

READ_ONLY_REFUSAL = "This token is read-only."
_READING_METHODS = ("GET", "HEAD", "OPTIONS")


def bearer_token_check(request: HttpRequest, secret: str) -> ApiToken | None:
    """The live token for `secret` presented with `request` (membership, user and tenant
    loaded), None for a bad one; the API and the MCP endpoint both check tokens here.

    A client that presented too many bad tokens lately is answered 429 (TooManyFailures)
    whether its token is good or bad, so guessing on stops paying (core.throttle); its run
    of failures is read with the token, in one statement."""
    now = clock.now()
    client = client_key(client_ip(request))
    api_token = token_authenticate(secret, now=now, client=client)
    if api_token is None:
        token_failure_record(client, now=now)
        return None
    api_token.membership.tenant = api_token.tenant
    return api_token


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; sets `request.membership` for the handlers. A
    read-only token may only read: any other method is a 403."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = bearer_token_check(request, token)
        if api_token is None:
            return None
        membership = api_token.membership
        request.membership = membership  # type: ignore[attr-defined]
        origin_user_set(membership.user_id, membership.user.email)
        if api_token.read_only and request.method not in _READING_METHODS:
            raise PermissionDenied(READ_ONLY_REFUSAL)
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
