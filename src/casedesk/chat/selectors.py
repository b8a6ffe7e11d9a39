"""Reads of chats, their events and offers; every one names the tenant."""

from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Count, QuerySet

from casedesk.chat.models import (
    AgentChatStatus,
    Chat,
    ChatEvent,
    ChatOffer,
    ChatState,
    OfferState,
)
from casedesk.core.errors import NotFound
from casedesk.tenancy.models import Tenant, User

# An agent counts as online while their console was heard from this recently (its live
# stream or its poll says so every few seconds).
ONLINE_WINDOW = timedelta(seconds=60)
EVENTS_PAGE = 500


def events_after(chat: Chat, seq: int, *, limit: int = EVENTS_PAGE) -> list[ChatEvent]:
    """The chat's events numbered above `seq`, in order (at most `limit`)."""
    return list(ChatEvent.objects.filter(tenant_id=chat.tenant_id, chat=chat, seq__gt=seq)
                .order_by("seq")[:limit])


def chat_by_public_id(tenant: Tenant, public_id: str | UUID) -> Chat:
    try:
        wanted = UUID(str(public_id))
    except ValueError:
        raise NotFound("No such chat.") from None
    chat = (Chat.objects.select_related("case", "agent")
            .filter(tenant=tenant, public_id=wanted).first())
    if chat is None:
        raise NotFound("No such chat.")
    chat.tenant = tenant
    return chat


def active_chats_of(tenant: Tenant, user: User | int) -> list[Chat]:
    user_id = user if isinstance(user, int) else user.pk
    return list(Chat.objects.select_related("case", "agent")
                .filter(tenant=tenant, agent_id=user_id, state=ChatState.ACTIVE)
                .order_by("accepted_at", "pk"))


def pending_offers_of(tenant: Tenant, user: User | int, now: datetime) -> list[ChatOffer]:
    user_id = user if isinstance(user, int) else user.pk
    return list(ChatOffer.objects.select_related("chat", "chat__case")
                .filter(tenant=tenant, agent_id=user_id, state=OfferState.PENDING,
                        expires_at__gt=now)
                .order_by("created_at", "pk"))


def first_message(chat: Chat) -> str:
    """The visitor's question: the chat's first event."""
    first = (ChatEvent.objects.filter(tenant_id=chat.tenant_id, chat=chat, seq=1)
             .values_list("body", flat=True).first())
    return first or ""


def online_agent_ids(tenant: Tenant, now: datetime) -> list[int]:
    """The members who take chats now: switched on and heard from lately."""
    return list(AgentChatStatus.objects.filter(
        tenant=tenant, available=True, seen_at__gte=now - ONLINE_WINDOW,
        user__is_active=True, user__memberships__tenant=tenant,
        user__memberships__is_active=True,
    ).values_list("user_id", flat=True))


def agents_online(tenant: Tenant, now: datetime) -> int:
    return len(online_agent_ids(tenant, now))


def active_chat_counts(tenant: Tenant, user_ids: list[int]) -> dict[int, int]:
    rows = (Chat.objects.filter(tenant=tenant, state=ChatState.ACTIVE, agent_id__in=user_ids)
            .values("agent_id").annotate(n=Count("pk")).values_list("agent_id", "n"))
    return dict(rows)


def agent_status(tenant: Tenant, user: User | int) -> AgentChatStatus | None:
    user_id = user if isinstance(user, int) else user.pk
    return AgentChatStatus.objects.filter(tenant=tenant, user_id=user_id).first()


def chats_for(tenant: Tenant, *, user_id: int | None = None, state: str | None = None,
              ) -> QuerySet[Chat]:
    """The tenant's chats, newest first: an agent's own (`user_id`), or all; by state."""
    found = Chat.objects.select_related("case", "agent").filter(tenant=tenant)
    if user_id is not None:
        found = found.filter(agent_id=user_id)
    if state:
        found = found.filter(state=state)
    return found.order_by("-created_at", "-pk")
