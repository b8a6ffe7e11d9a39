"""Who may read a chat without signing in: a signed token per chat for its visitor, and a
signed token for an agent's live stream (which may be served from another origin, so it
carries no cookie).

The visitor's token names the chat and never expires while the chat exists (a visitor may
come back to the page hours later); it is worth nothing for any other chat. The agent's
stream token names the membership and expires (`AGENT_TOKEN_MAX_AGE`); the console renders a
fresh one with every page."""

from uuid import UUID

from django.core import signing

from casedesk.chat.models import Chat
from casedesk.core.errors import NotFound, PermissionDenied
from casedesk.tenancy.models import Membership, Tenant

_CHAT_SALT = "casedesk.chat.visitor"
_AGENT_SALT = "casedesk.chat.agent-stream"
AGENT_TOKEN_MAX_AGE = 12 * 3600


def chat_token(chat: Chat) -> str:
    return signing.dumps([chat.tenant_id, str(chat.public_id)], salt=_CHAT_SALT, compress=True)


def token_chat_ref(token: str) -> tuple[int, str]:
    """(tenant id, chat public id) the token was made for; PermissionDenied for a forged or
    damaged one."""
    try:
        tenant_id, public_id = signing.loads(token, salt=_CHAT_SALT)
        return int(tenant_id), str(UUID(str(public_id)))
    except (signing.BadSignature, ValueError, TypeError):
        raise PermissionDenied("This chat link is not valid.") from None


def _uuid(public_id: str | UUID) -> UUID:
    try:
        return UUID(str(public_id))
    except ValueError:
        raise NotFound("No such chat.") from None


def chat_from_token(tenant: Tenant, public_id: str | UUID, token: str) -> Chat:
    """The tenant's chat `public_id`, when `token` is its visitor's; NotFound for no such
    chat, PermissionDenied for a token of another chat (or none)."""
    wanted = _uuid(public_id)
    if not token:
        raise PermissionDenied("This chat needs its token.")
    tenant_id, token_public_id = token_chat_ref(token)
    if tenant_id != tenant.pk or token_public_id != str(wanted):
        raise PermissionDenied("This token is not for this chat.")
    chat = Chat.objects.filter(tenant=tenant, public_id=wanted).first()
    if chat is None:
        raise NotFound("No such chat.")
    chat.tenant = tenant
    return chat


def agent_stream_token(membership: Membership) -> str:
    return signing.dumps([membership.tenant_id, membership.user_id], salt=_AGENT_SALT,
                         compress=True)


def member_from_stream_token(token: str, *, max_age: int = AGENT_TOKEN_MAX_AGE
                             ) -> tuple[int, int]:
    """(tenant id, user id) of a live agent-stream token; PermissionDenied when it is
    forged, damaged or expired. The caller still checks the membership is active."""
    try:
        tenant_id, user_id = signing.loads(token, salt=_AGENT_SALT, max_age=max_age)
        return int(tenant_id), int(user_id)
    except signing.SignatureExpired:
        raise PermissionDenied("This live link has expired: reload the page.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise PermissionDenied("This live link is not valid.") from None
