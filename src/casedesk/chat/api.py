"""The chat API: chats and their transcripts, an agent's messages and offers, chat
availability, and the tenant's chat settings.

Agents see the chats they took and the offers made to them; managers and admins see every
chat of the tenant (`?mine=true` narrows to their own), but only a chat's own agent writes in
it or ends it (403 for a manager, 404 for another agent: `chat.agent_access`). Settings:
managers and admins read them, admins change them. Another tenant's chat or offer is a 404.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Path, Query

from casedesk.chat import agent_access, presenters, selectors, services
from casedesk.chat.models import Chat, ChatSettings
from casedesk.chat.schemas import (
    ChatDetailOut,
    ChatOut,
    ChatPage,
    ChatSettingsOut,
    ChatSettingsPatch,
    EventOut,
    MessageIn,
    OfferList,
    StateName,
    StatusIn,
    StatusOut,
)
from casedesk.core import clock
from casedesk.core.errors import Invalid
from casedesk.core.redirects import site_base
from casedesk.core.schemas import MAX_ID, Error
from casedesk.core.text import text_problem
from casedesk.tenancy.api_auth import member, require_admin, require_manager

router = Router(tags=["chat"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
PUBLIC_ID = Path(..., max_length=64, description="The chat's public id (a UUID)")
OFFER_ID = Path(..., ge=1, le=MAX_ID)


def chat_out(chat: Chat) -> dict[str, Any]:
    agent_name = chat.agent.display_name if chat.agent_id and chat.agent else ""
    return presenters.chat_json(chat, for_agent=True, agent_name=agent_name)


def settings_out(request: HttpRequest, config: ChatSettings) -> dict[str, Any]:
    return {
        "enabled": config.enabled,
        "allowed_origins": list(config.allowed_origins or []),
        "bot_enabled": config.bot_enabled,
        "bot_min_score": config.bot_min_score,
        "offer_timeout_seconds": config.offer_timeout_seconds,
        "chats_per_agent": config.chats_per_agent,
        "greeting": config.greeting,
        "offline_message": config.offline_message,
        "widget_script_url": f"{site_base(request)}/chat/{config.tenant.slug}/widget.js",
        "updated_at": config.updated_at,
    }


@router.get("/chats", response={200: ChatPage, **ERRORS}, summary="List chats")
def list_chats(
    request: HttpRequest,
    state: StateName | None = Query(None, description="Only chats in this state"),
    mine: bool = Query(False, description="Managers: only the chats you took"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(50, ge=1, le=100),
) -> Any:
    """Newest first: an agent's own chats; a manager's or admin's, every chat of the
    tenant. Pass `next_cursor` back as `cursor` for the next page."""
    if cursor is not None and (problem := text_problem(cursor)) is not None:
        raise Invalid(f"cursor {problem}.", field="cursor")
    chats, next_cursor = agent_access.chat_page(
        member(request), state=state, mine=mine, cursor=cursor, limit=limit
    )
    return {"items": [chat_out(c) for c in chats], "next_cursor": next_cursor}


@router.get(
    "/chats/{public_id}",
    response={200: ChatDetailOut, **ERRORS},
    summary="Read a chat and its transcript",
)
def get_chat(
    request: HttpRequest,
    public_id: str = PUBLIC_ID,
    after: int = Query(
        0, ge=0, le=2**31 - 1, description=("Only the events numbered above this one")
    ),
) -> Any:
    """The chat with its events after `after` (its agent, or a manager)."""
    chat = agent_access.chat_for_member(member(request), public_id)
    events = selectors.events_after(chat, after)
    return {**chat_out(chat), "events": [presenters.event_json(e) for e in events]}


@router.post(
    "/chats/{public_id}/messages",
    response={201: EventOut, **ERRORS},
    summary="Send a message in a chat",
)
def send_message(request: HttpRequest, payload: MessageIn, public_id: str = PUBLIC_ID) -> Any:
    """The chat's agent writes to the visitor: the message is also a public reply on the
    chat's case (the first one sets its first response), carried by the chat instead of
    mail. 409 when the chat is not active."""
    membership = member(request)
    chat = agent_access.chat_for_member(membership, public_id, write=True)
    event = services.agent_message(
        chat=chat,
        user=membership.user,
        body=payload.body,
        now=clock.now(),
        client_id=payload.client_id,
    )
    return 201, presenters.event_json(event)


@router.post("/chats/{public_id}/end", response={200: ChatOut, **ERRORS}, summary="End a chat")
def end_chat(request: HttpRequest, public_id: str = PUBLIC_ID) -> Any:
    """The chat's agent ends it; its case goes on by email. Ending an ended chat changes
    nothing."""
    membership = member(request)
    chat = agent_access.chat_for_member(membership, public_id, write=True)
    chat = services.chat_end(chat=chat, by="agent", user=membership.user, now=clock.now())
    return chat_out(selectors.chat_by_public_id(membership.tenant, chat.public_id))


@router.get(
    "/chat/offers", response={200: OfferList, **ERRORS}, summary="List the chats offered to me"
)
def list_offers(request: HttpRequest) -> Any:
    """The waiting chats offered to you now, oldest first; each expires at `expires_at`.
    Asking counts as being there: a client that takes chats asks at least once a minute."""
    membership = member(request)
    now = clock.now()
    services.agent_seen(tenant=membership.tenant, user=membership.user, now=now)
    services.offers_expire(now=now, tenant=membership.tenant)
    offers = selectors.pending_offers_of(membership.tenant, membership.user_id, now)
    return {
        "items": [
            presenters.offer_json(o, question=selectors.first_message(o.chat)) for o in offers
        ]
    }


@router.post(
    "/chat/offers/{offer_id}/accept",
    response={200: ChatOut, **ERRORS},
    summary="Accept a chat offered to me",
)
def accept_offer(request: HttpRequest, offer_id: int = OFFER_ID) -> Any:
    """The chat becomes yours, and so does its case. 409 when the offer expired, was
    withdrawn or answered already."""
    membership = member(request)
    offer = agent_access.offer_for_member(membership, offer_id)
    chat = services.offer_accept(offer=offer, user=membership.user, now=clock.now())
    return chat_out(selectors.chat_by_public_id(membership.tenant, chat.public_id))


@router.post(
    "/chat/offers/{offer_id}/decline",
    response={204: None, **ERRORS},
    summary="Decline a chat offered to me",
)
def decline_offer(request: HttpRequest, offer_id: int = OFFER_ID) -> Any:
    """The chat is offered to the next agent (or, with nobody left, answered by email)."""
    membership = member(request)
    offer = agent_access.offer_for_member(membership, offer_id)
    services.offer_decline(offer=offer, user=membership.user, now=clock.now())
    return 204, None


@router.put("/chat/status", response={200: StatusOut, **ERRORS}, summary="Set my chat availability")
def set_status(request: HttpRequest, payload: StatusIn) -> Any:
    """Whether chats are offered to you. A client that takes chats calls it again (or
    `GET /chat/offers`) at least every minute: only agents heard from lately are offered
    chats."""
    membership = member(request)
    now = clock.now()
    status = services.agent_status_set(
        tenant=membership.tenant, user=membership.user, available=payload.available, now=now
    )
    config = services.chat_settings(membership.tenant)
    return {
        "available": status.available,
        "seen_at": status.seen_at,
        "active_chats": len(selectors.active_chats_of(membership.tenant, membership.user_id)),
        "chats_per_agent": config.chats_per_agent,
    }


@router.get(
    "/chat/settings", response={200: ChatSettingsOut, **ERRORS}, summary="Read the chat settings"
)
def get_settings(request: HttpRequest) -> Any:
    """Managers and admins."""
    membership = require_manager(request)
    return settings_out(request, services.chat_settings(membership.tenant))


@router.patch(
    "/chat/settings", response={200: ChatSettingsOut, **ERRORS}, summary="Change the chat settings"
)
def patch_settings(request: HttpRequest, payload: ChatSettingsPatch) -> Any:
    """Admins only. Changes the settings sent; a refusal (an origin that is not one, a
    number out of range) changes nothing and names the field."""
    membership = require_admin(request)
    changes = payload.dict(exclude_unset=True)
    config = services.chat_settings_update(
        tenant=membership.tenant, actor=membership.user, changes=changes, now=clock.now()
    )
    return settings_out(request, config)
