"""What a member may do with a chat from the console or the API: the only way the agents'
pages and `chat/api.py` fetch chats, offers and files.

An agent reads and writes the chats they took; managers and admins read every chat of the
tenant, but only the chat's own agent writes in it or ends it. Another tenant's chat, or a
colleague's for an agent, is a 404: nobody learns which chats exist."""

from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from casedesk.chat import selectors
from casedesk.chat.models import Chat, ChatAttachment, ChatOffer
from casedesk.core.access import tenant_row
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid, NotFound, PermissionDenied
from casedesk.tenancy.models import Membership

MISSING_CHAT = "No such chat."


def chat_for_member(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Chat:
    """The tenant's chat `public_id` as `membership` may use it: to read (its agent, or a
    manager), or to write in it, mark it read or end it (`write`: its agent only)."""
    chat = selectors.chat_by_public_id(membership.tenant, public_id)
    if chat.agent_id == membership.user_id:
        return chat
    if not membership.is_manager:
        raise NotFound(MISSING_CHAT)
    if write:
        raise PermissionDenied("Only the agent in this chat writes in it or ends it.")
    return chat


def offer_for_member(membership: Membership, offer_id: int) -> ChatOffer:
    """An offer made to this member (another's, or another tenant's, is a 404)."""
    offer = tenant_row(
        ChatOffer.objects.select_related("chat", "chat__case"),
        membership.tenant_id,
        offer_id,
        "No such offer.",
    )
    if offer.agent_id != membership.user_id:
        raise NotFound("No such offer.")
    offer.chat.tenant = membership.tenant
    return offer


def attachment_for_member(membership: Membership, chat: Chat, attachment_id: int) -> ChatAttachment:
    """A file of `chat` (which the member may read)."""
    return tenant_row(
        ChatAttachment.objects.filter(chat=chat),
        membership.tenant_id,
        attachment_id,
        "No such file.",
    )


def chats_visible_to(membership: Membership, *, state: str | None, mine: bool) -> QuerySet[Chat]:
    """The chats the member may list, newest first: an agent's own; a manager's own when
    `mine`, else all of the tenant's."""
    user_id = membership.user_id if mine or not membership.is_manager else None
    return selectors.chats_for(membership.tenant, user_id=user_id, state=state)


def chat_page(
    membership: Membership, *, state: str | None, mine: bool, cursor: str | None, limit: int
) -> tuple[list[Chat], str | None]:
    """A page of `chats_visible_to`, newest first, and the cursor of the next page."""
    rows = chats_visible_to(membership, state=state, mine=mine)
    if cursor:
        created, pk = decode_cursor(cursor, length=2)
        try:
            moment = datetime.fromisoformat(str(created))
            key = int(pk)
        except (TypeError, ValueError):
            raise Invalid(
                "The cursor is not valid; use next_cursor from a previous page.", field="cursor"
            ) from None
        rows = rows.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=key))
    page = list(rows[: limit + 1])
    if len(page) <= limit:
        return page, None
    last = page[limit - 1]
    return page[:limit], encode_cursor([last.created_at.isoformat(), last.pk])
