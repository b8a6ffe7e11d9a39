"""Who is calling the MCP server: the API token and the member it acts as.

The HTTP endpoint learns it from each request's bearer token, `casedesk mcp` on stdio from
the token it was started with. The SDK runs tools in its own tasks, so the caller travels
in a context variable (copied into those tasks and back into the thread the tool's database
work runs in), set for exactly the length of one request or one stdio session.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from casedesk.core import clock
from casedesk.core.errors import PermissionDenied
from casedesk.tenancy.models import ApiToken, Membership
from casedesk.tenancy.services import token_authenticate

READ_ONLY_REFUSAL = "This token is read-only: {tool} changes data, so it is refused."
TOKEN_GONE = "The API token was revoked, or its member made inactive."


@dataclass(frozen=True)
class Caller:
    """The token acting, loaded with its membership, user and tenant.

    `secret` is kept only by a long-lived stdio session, which checks before each call that
    the token is still live (a token revoked while an agent runs stops working at once)."""

    token: ApiToken
    secret: str = ""

    @property
    def membership(self) -> Membership:
        return self.token.membership

    @property
    def token_name(self) -> str:
        return self.token.name or self.token.prefix


_caller: ContextVar[Caller | None] = ContextVar("casedesk_mcp_caller", default=None)


@contextmanager
def calling_as(caller: Caller) -> Iterator[Caller]:
    """Runs the block as `caller`; undone afterwards."""
    reset = _caller.set(caller)
    try:
        yield caller
    finally:
        _caller.reset(reset)


def current_caller() -> Caller | None:
    return _caller.get()


def caller_for_secret(secret: str) -> Caller | None:
    """The caller a token's secret names, None for a bad, revoked or inactive one."""
    token = token_authenticate(secret.strip(), now=clock.now()) if secret.strip() else None
    if token is None:
        return None
    token.membership.tenant = token.tenant
    return Caller(token=token, secret=secret.strip())


def live_caller(caller: Caller) -> Caller:
    """`caller` checked again when it holds its secret (stdio); PermissionDenied when the
    token stopped working since."""
    if not caller.secret:
        return caller
    again = caller_for_secret(caller.secret)
    if again is None:
        raise PermissionDenied(TOKEN_GONE)
    return again


def refuse_if_read_only(caller: Caller, tool: str) -> None:
    if caller.token.read_only:
        raise PermissionDenied(READ_ONLY_REFUSAL.format(tool=tool))
