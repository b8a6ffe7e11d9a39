"""Offering a waiting chat to the agents, one at a time: who takes chats now, the next agent
by the case queue's strategy (`chat.offers`), accepting, declining, and a missed chat when
nobody is left. The timeouts are moved on by `chat.services.offers_expire`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from casedesk.cases.models import Case
from casedesk.cases.ownership import case_change_owner, case_claim
from casedesk.chat import live, selectors
from casedesk.chat.config import chat_settings
from casedesk.chat.log import case_line, save_state, state_event
from casedesk.chat.models import (
    AgentChatStatus,
    Chat,
    ChatOffer,
    ChatSettings,
    ChatState,
    OfferState,
)
from casedesk.chat.offers import ChatAgent, next_agent
from casedesk.chat.presenters import offer_json
from casedesk.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from casedesk.routing.models import Queue, Strategy
from casedesk.routing.services import facts_of_case, required_skills
from casedesk.routing.strategies import normalise_skills
from casedesk.tenancy.models import Membership, Tenant, User

SEEN_EVERY = timedelta(seconds=15)  # heartbeats closer together than this write nothing


def offer_candidates(chat: Chat, case: Case, now: datetime
                      ) -> tuple[list[ChatAgent], Queue | None]:
    tenant = chat.tenant
    online = selectors.online_agent_ids(tenant, now)
    if not online:
        return [], None
    queue = Queue.objects.filter(tenant=tenant, pk=case.queue_id).first() if case.queue_id \
        else None
    members = list(Membership.objects.filter(tenant=tenant, user_id__in=online, is_active=True,
                                             user__is_active=True))
    if queue is not None:
        in_queue = set(queue.members.filter(pk__in=[m.pk for m in members])
                       .values_list("pk", flat=True))
        # Nobody of the queue takes chats now: anyone who does, before the visitor is sent
        # to mail.
        if in_queue:
            members = [m for m in members if m.pk in in_queue]
    loads = selectors.active_chat_counts(tenant, [m.user_id for m in members])
    return [ChatAgent(user_id=m.user_id, active_chats=loads.get(m.user_id, 0), available=True,
                      skills=normalise_skills(m.skills if isinstance(m.skills, list) else []),
                      territory=m.territory) for m in members], queue


def offer_next(chat: Chat, settings: ChatSettings, now: datetime) -> ChatOffer | None:
    """Offers the locked, waiting chat to the next agent; nobody left: the chat is missed
    and its case answered by email."""
    assert chat.case_id is not None
    case = Case.objects.select_related("account", "contact").get(pk=chat.case_id)
    agents, queue = offer_candidates(chat, case, now)
    passed = set(ChatOffer.objects.filter(chat=chat).values_list("agent_id", flat=True))
    strategy = queue.strategy if queue is not None else Strategy.LOAD_BALANCED
    last = (ChatOffer.objects.filter(tenant_id=chat.tenant_id).order_by("-created_at", "-pk")
            .values_list("agent_id", flat=True).first())
    skills = required_skills(chat.tenant, facts_of_case(case)) \
        if strategy == Strategy.SKILLS else frozenset()
    territory = case.account.territory if case.account_id and case.account else ""
    choice = next_agent(strategy, agents, chats_per_agent=settings.chats_per_agent,
                        passed=passed, last_user_id=last, required_skills=skills,
                        territory=territory)
    if choice.user_id is None:
        missed(chat, settings, now, why=choice.reason)
        return None
    offer = ChatOffer.objects.create(
        tenant_id=chat.tenant_id, chat=chat, agent_id=choice.user_id, created_at=now,
        expires_at=now + timedelta(seconds=settings.offer_timeout_seconds))
    offer.chat = chat
    chat.case = case
    live.publish(tenant_id=chat.tenant_id, chat_id=str(chat.public_id),
                 agent_ids=[choice.user_id],
                 ephemeral={"kind": "offer", "to": "agents",
                            "offer": offer_json(offer, question=case.description[:500])})
    return offer


def missed(chat: Chat, settings: ChatSettings, now: datetime, *, why: str) -> None:
    chat.state = ChatState.MISSED
    chat.ended_at = now
    chat.ended_by = "system"
    save_state(chat, "ended_at", "ended_by")
    message = settings.offline_message or ChatSettings._meta.get_field(
        "offline_message").get_default()
    state_event(chat, now, f"{message} We will write to {chat.visitor_email}.")
    case_line(chat.case_id, chat.tenant, f"Nobody took the chat ({why}): the customer was "
               "told they will be answered by email.", now)


def withdraw_offers(chat: Chat, now: datetime) -> None:
    pending = list(ChatOffer.objects.filter(chat=chat, state=OfferState.PENDING))
    if not pending:
        return
    ChatOffer.objects.filter(pk__in=[o.pk for o in pending]).update(
        state=OfferState.WITHDRAWN, answered_at=now)
    for offer in pending:
        live.publish(tenant_id=chat.tenant_id, chat_id=str(chat.public_id),
                     agent_ids=[offer.agent_id],
                     ephemeral={"kind": "offer_gone", "to": "agents", "offer_id": offer.pk})


# --- the agents ---------------------------------------------------------------------------------


def agent_status_set(*, tenant: Tenant, user: User, available: bool, now: datetime
                     ) -> AgentChatStatus:
    if not isinstance(available, bool):
        raise Invalid("Give true or false.", field="available")
    if not Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists():
        raise PermissionDenied("Only members of the desk take chats.")
    with transaction.atomic():
        status, _ = AgentChatStatus.objects.select_for_update().get_or_create(
            tenant=tenant, user=user, defaults={"available": available, "seen_at": now})
        status.available = available
        status.seen_at = now
        status.save(update_fields=["available", "seen_at"])
    return status


def agent_seen(*, tenant: Tenant, user: User | int, now: datetime) -> None:
    """The agent's console is there (its stream or poll): they count as online while
    available (at most one write per SEEN_EVERY)."""
    user_id = user if isinstance(user, int) else user.pk
    AgentChatStatus.objects.filter(tenant=tenant, user_id=user_id).exclude(
        seen_at__gt=now - SEEN_EVERY).update(seen_at=now)


def offer_locked(offer: ChatOffer, user: User) -> tuple[ChatOffer, Chat]:
    chat = Chat.objects.select_for_update().get(pk=offer.chat_id, tenant_id=offer.tenant_id)
    offer = ChatOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.agent_id != user.pk:
        raise PermissionDenied("This chat was offered to someone else.")
    return offer, chat


def offer_accept(*, offer: ChatOffer, user: User, now: datetime) -> Chat:
    """The agent takes the offered chat: it becomes theirs and so does its case."""
    with transaction.atomic():
        offer, chat = offer_locked(offer, user)
        chat.tenant = Tenant.objects.get(pk=chat.tenant_id)
        if offer.state != OfferState.PENDING or offer.expires_at <= now:
            raise Conflict("This offer has expired or was withdrawn." if offer.state in (
                OfferState.PENDING, OfferState.EXPIRED, OfferState.WITHDRAWN) else
                f"This offer was {offer.state} already.")
        if chat.state != ChatState.WAITING or chat.case_id is None:
            raise Conflict("This chat is no longer waiting for an agent.")
        offer.state = OfferState.ACCEPTED
        offer.answered_at = now
        offer.save(update_fields=["state", "answered_at"])
        chat.state = ChatState.ACTIVE
        chat.agent = user
        chat.accepted_at = now
        save_state(chat, "agent", "accepted_at")
        case = Case.objects.get(pk=chat.case_id)
        case.tenant = chat.tenant
        membership = Membership.objects.select_related("user").get(tenant_id=chat.tenant_id,
                                                                   user=user)
        if case.owner_id != user.pk:
            try:
                case_claim(case=case, membership=membership, now=now)
            except (PermissionDenied, Conflict):
                # Not of the case's queue, or someone claimed it meanwhile: the chat's agent
                # owns its case all the same.
                case_change_owner(case=case, actor=user, owner=user, now=now)
        case_line(chat.case_id, chat.tenant, f"Chat accepted by {user.display_name}.", now,
                   actor=user)
        state_event(chat, now, f"{user.display_name} joined the chat.",
                     agent_name=user.display_name)
    return chat


def offer_decline(*, offer: ChatOffer, user: User, now: datetime) -> None:
    """The agent passes: the chat is offered to the next one."""
    with transaction.atomic():
        offer, chat = offer_locked(offer, user)
        if offer.state != OfferState.PENDING:
            raise Conflict(f"This offer was {offer.state} already.")
        offer.state = OfferState.DECLINED
        offer.answered_at = now
        offer.save(update_fields=["state", "answered_at"])
        if chat.state == ChatState.WAITING:
            chat.tenant = Tenant.objects.get(pk=chat.tenant_id)
            offer_next(chat, chat_settings(chat.tenant), now)


def pending_offer(*, tenant: Tenant, offer_id: int, user: User) -> ChatOffer:
    offer = ChatOffer.objects.select_related("chat").filter(tenant=tenant, pk=offer_id).first()
    if offer is None or offer.agent_id != user.pk:
        raise NotFound("No such offer.")
    return offer
