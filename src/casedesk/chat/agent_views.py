"""The agents' side of live chat in the console: the chat dock on every page, and what it
posts and polls.

The dock is not part of the page that carries it: `console/base.html` holds an empty
`#chat-dock` that asks for `GET /chats/dock` once loaded, so no console page pays a query for
it. The dock then listens on the agent's live stream (`/live/agent/stream`, Server-Sent
Events) and, when the stream cannot be kept open, polls `GET /chats/poll` every two seconds;
both tell the server the agent is still there (`agent_seen`) and expire the tenant's offers
nobody answered in time (`offers_expire`), so chat works without a worker too.

The actions the dock's buttons post (availability, accept, decline) answer htmx with the
dock again; the composer's posts (message, typing, read, end) are JSON, answered with the
chat's event or 204, and refusals come back as JSON `{"detail": ...}` with a 4xx status.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from casedesk.chat import presenters, selectors, services, tokens
from casedesk.chat.agent_access import attachment_for_member, chat_for_member, offer_for_member
from casedesk.chat.models import Author, Chat, ChatAttachment, ChatEvent, ChatOffer
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid
from casedesk.core.files import file_response
from casedesk.core.redirects import redirect_back
from casedesk.core.schemas import MAX_ID
from casedesk.tenancy.models import Membership
from casedesk.tenancy.web import PageRequest, member, member_required

# What the dock shows of a chat's transcript when it renders it; older events are on the
# case's timeline (the dock links to it).
TRANSCRIPT_EVENTS = 100
# How many chats one poll may name, and how many events it answers per chat.
POLL_CHATS = 40
POLL_EVENTS = 200
# The visitor counts as typing while their last keystroke signal is this recent (the widget
# repeats it every two seconds while they type).
TYPING_FRESH = timedelta(seconds=6)
_POLL_ENTRY = re.compile(r"([0-9a-fA-F-]{32,36}):(\d{1,9})")


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refusal as JSON `{"detail": ..., "field": ...}` with its status, for the dock's
    scripts (the pages' decorator would answer with an HTML error page)."""

    @wraps(view)
    def wrapper(request: PageRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            body: dict[str, Any] = {"detail": error.detail}
            if isinstance(error, Invalid) and error.field:
                body["field"] = error.field
            return JsonResponse(body, status=error.status_code)

    return wrapper


def _refused(request: PageRequest, error: DomainError) -> HttpResponse:
    """A refused dock button: htmx shows the reason as a toast (and the dock reloads itself),
    a plain post goes back with the reason as a message."""
    if request.htmx:
        return HttpResponse(error.detail, status=error.status_code, content_type="text/plain")
    messages.error(request, error.detail)
    return redirect_back(request, request.POST.get("next"), "console:inbox")


# --- what the dock shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfferCard:
    offer: ChatOffer
    question: str
    seconds_left: int


def offer_cards(membership: Membership, now: datetime) -> list[OfferCard]:
    return [
        OfferCard(
            offer=o,
            question=selectors.first_message(o.chat),
            seconds_left=max(0, int((o.expires_at - now).total_seconds())),
        )
        for o in selectors.pending_offers_of(membership.tenant, membership.user_id, now)
    ]


@dataclass(frozen=True)
class ChatCard:
    chat: Chat
    events: list[ChatEvent]

    @property
    def first_seq(self) -> int:
        return self.events[0].seq if self.events else self.chat.last_seq + 1


def live_url() -> str:
    """Where the live server answers (`casedesk live`); "" when it shares this origin."""
    return str(getattr(settings, "CASEDESK_LIVE_URL", "") or "").rstrip("/")


def stream_url(membership: Membership) -> str:
    return f"{live_url()}/live/agent/stream?" + urlencode(
        {"token": tokens.agent_stream_token(membership)}
    )


def chat_card(chat: Chat) -> ChatCard:
    events = selectors.events_after(
        chat, max(0, chat.last_seq - TRANSCRIPT_EVENTS), limit=TRANSCRIPT_EVENTS
    )
    return ChatCard(chat=chat, events=events)


def dock_context(membership: Membership, now: datetime, *, open_chat: str = "") -> dict[str, Any]:
    tenant = membership.tenant
    config = services.chat_settings(tenant)
    status = selectors.agent_status(tenant, membership.user_id)
    offers = offer_cards(membership, now)
    chats = [chat_card(c) for c in selectors.active_chats_of(tenant, membership.user_id)]
    return {
        "membership": membership,
        "enabled": config.enabled,
        "shown": config.enabled or bool(offers) or bool(chats),
        "available": bool(status and status.available),
        "offers": offers,
        "chats": chats,
        "chats_per_agent": config.chats_per_agent,
        "stream_url": stream_url(membership),
        "open_chat": open_chat,
    }


def _dock(request: PageRequest, *, open_chat: str = "", status: int = 200) -> HttpResponse:
    context = dock_context(member(request), clock.now(), open_chat=open_chat)
    return render(request, "chat/dock.html", context, status=status)


@member_required
@require_GET
def dock(request: PageRequest) -> HttpResponse:
    """The dock: the availability switch, the chats offered to me, my active chats.
    `?part=offers` answers the offers alone (the dock asks for them when they change)."""
    membership = member(request)
    now = clock.now()
    if request.GET.get("part") == "offers":
        return render(request, "chat/dock.html#offers", {"offers": offer_cards(membership, now)})
    return render(request, "chat/dock.html", dock_context(membership, now))


@member_required
@require_GET
def chat_window(request: PageRequest, public_id: str) -> HttpResponse:
    """One chat's window, for the dock to add when the chat became mine (accepted in another
    tab, or while the dock was listening)."""
    chat = chat_for_member(member(request), public_id)
    return render(request, "chat/dock.html#window", {"card": chat_card(chat)})


@member_required
@require_POST
def status(request: PageRequest) -> HttpResponse:
    """Switches my chat availability on or off (`available`: on/off)."""
    membership = member(request)
    available = request.POST.get("available", "") in ("on", "1", "true")
    services.agent_status_set(
        tenant=membership.tenant, user=membership.user, available=available, now=clock.now()
    )
    if request.htmx:
        return _dock(request)
    messages.success(request, "You now take chats." if available else "You take no new chats.")
    return redirect_back(request, request.POST.get("next"), "console:inbox")


@member_required
@require_POST
def offer_accept(request: PageRequest, offer_id: int) -> HttpResponse:
    membership = member(request)
    try:
        offer = offer_for_member(membership, offer_id)
        chat = services.offer_accept(offer=offer, user=membership.user, now=clock.now())
    except DomainError as error:
        return _refused(request, error)
    if request.htmx:
        return _dock(request, open_chat=str(chat.public_id))
    messages.success(request, f"You are chatting with {chat.visitor_name}.")
    return redirect_back(request, request.POST.get("next"), "console:inbox")


@member_required
@require_POST
def offer_decline(request: PageRequest, offer_id: int) -> HttpResponse:
    membership = member(request)
    try:
        offer = offer_for_member(membership, offer_id)
        services.offer_decline(offer=offer, user=membership.user, now=clock.now())
    except DomainError as error:
        return _refused(request, error)
    if request.htmx:
        return _dock(request)
    return redirect_back(request, request.POST.get("next"), "console:inbox")


# --- the composer's posts (JSON) -------------------------------------------------------------


def _json_body(request: PageRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        return {key: request.POST.get(key) for key in request.POST}
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Invalid("The body is not JSON.") from None
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.")
    return body


def _text_of(data: dict[str, Any], name: str) -> str:
    """A text the body sent (the service checks what it says), "" when left out."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"{name} must be text.", field=name)
    return value


@member_required
@require_POST
@_json_errors
def message(request: PageRequest, public_id: str) -> HttpResponse:
    """Sends my message (JSON `{"body", "client_id"}`, or a form with `file`) → 201 event."""
    membership = member(request)
    chat = chat_for_member(membership, public_id, write=True)
    data = _json_body(request)
    event = services.agent_message(
        chat=chat,
        user=membership.user,
        body=_text_of(data, "body"),
        now=clock.now(),
        client_id=_text_of(data, "client_id"),
        upload=request.FILES.get("file"),
    )
    return JsonResponse(presenters.event_json(event), status=201)


@member_required
@require_POST
@_json_errors
def typing(request: PageRequest, public_id: str) -> HttpResponse:
    """`{"typing": true|false}`: the visitor sees that I am writing."""
    membership = member(request)
    chat = chat_for_member(membership, public_id, write=True)
    flag = _json_body(request).get("typing")
    if not isinstance(flag, bool):
        raise Invalid("typing must be true or false.", field="typing")
    services.typing(chat=chat, side=Author.AGENT, typing=flag, now=clock.now())
    return HttpResponse(status=204)


@member_required
@require_POST
@_json_errors
def read(request: PageRequest, public_id: str) -> HttpResponse:
    """`{"seq": n}`: I have seen the chat up to event n (the visitor sees "Seen")."""
    membership = member(request)
    chat = chat_for_member(membership, public_id, write=True)
    seq = _json_body(request).get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_ID:
        raise Invalid("seq must be an event number.", field="seq")
    services.mark_read(chat=chat, side=Author.AGENT, seq=seq, now=clock.now())
    return HttpResponse(status=204)


@member_required
@require_POST
@_json_errors
def end(request: PageRequest, public_id: str) -> HttpResponse:
    """Ends the chat (its agent) → the chat."""
    membership = member(request)
    chat = chat_for_member(membership, public_id, write=True)
    chat = services.chat_end(chat=chat, by=Author.AGENT, user=membership.user, now=clock.now())
    return JsonResponse(presenters.chat_json(chat, for_agent=True, agent_name=_agent_name(chat)))


# member_required is typed for HttpResponse; a FileResponse (streamed, not read into memory)
# is an HttpResponseBase, which it passes through all the same.
@member_required  # type: ignore[arg-type]
@require_GET
def download(request: PageRequest, public_id: str, attachment_id: int) -> FileResponse:
    membership = member(request)
    chat = chat_for_member(membership, public_id)
    return file_response(_Stored(attachment_for_member(membership, chat, attachment_id)))


@dataclass(frozen=True)
class _Stored:
    """A chat's file as `core.files.file_response` serves stored files."""

    attachment: ChatAttachment

    @property
    def filename(self) -> str:
        return self.attachment.name

    @property
    def content_type(self) -> str:
        return self.attachment.content_type

    @property
    def file(self) -> Any:
        return self.attachment.file


# --- the poll --------------------------------------------------------------------------------


def _agent_name(chat: Chat) -> str:
    return chat.agent.display_name if chat.agent_id and chat.agent else ""


def parse_poll_chats(raw: str) -> dict[str, int]:
    """`<public id>:<last seq>,…` → {public id: seq}; entries that are not one are skipped
    (a forged poll reads nothing more than a correct one)."""
    wanted: dict[str, int] = {}
    for entry in raw.split(",")[:POLL_CHATS]:
        found = _POLL_ENTRY.fullmatch(entry.strip())
        if found:
            wanted[found.group(1).lower()] = int(found.group(2))
    return wanted


def is_typing(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and now - moment <= TYPING_FRESH


def poll_answer(membership: Membership, wanted: dict[str, int], now: datetime) -> dict[str, Any]:
    """What the dock lacks: my offers and chats now, the events after the numbers it has of
    the chats it shows (an ended one too, so its end arrives), and who is typing."""
    tenant = membership.tenant
    offers = [
        presenters.offer_json(o, question=selectors.first_message(o.chat))
        for o in selectors.pending_offers_of(tenant, membership.user_id, now)
    ]
    active = {str(c.public_id): c for c in selectors.active_chats_of(tenant, membership.user_id)}
    shown = dict(active)
    for public_id in wanted.keys() - active.keys():
        try:
            shown[public_id] = chat_for_member(membership, public_id)
        except DomainError:
            continue
    chats, events = [], []
    for public_id, chat in shown.items():
        chats.append(
            {
                "id": public_id,
                "state": chat.state,
                "last_seq": chat.last_seq,
                "visitor_read_seq": chat.visitor_read_seq,
                "agent_read_seq": chat.agent_read_seq,
                "visitor_typing": is_typing(chat.visitor_typing_at, now),
            }
        )
        after = wanted.get(public_id)
        if after is not None and after < chat.last_seq:
            events += [
                {**presenters.event_json(e), "chat": public_id}
                for e in selectors.events_after(chat, after, limit=POLL_EVENTS)
            ]
    return {"offers": offers, "chats": chats, "events": events}


@member_required
@require_GET
@_json_errors
def poll(request: PageRequest) -> HttpResponse:
    """The dock's fallback when the live stream cannot stay open: `?chats=<id>:<seq>,…` →
    `{"offers", "chats", "events"}`. It is also the heartbeat that keeps me online for
    chat, and it expires the tenant's offers nobody answered in time."""
    membership = member(request)
    now = clock.now()
    services.agent_seen(tenant=membership.tenant, user=membership.user, now=now)
    services.offers_expire(now=now, tenant=membership.tenant)
    wanted = parse_poll_chats(request.GET.get("chats", "")[:4000])
    return JsonResponse(poll_answer(membership, wanted, now))
