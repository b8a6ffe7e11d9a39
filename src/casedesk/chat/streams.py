"""The live streams (Server-Sent Events): a visitor's chat and an agent's chats and offers.

    GET /live/chat/<public id>/stream?token=<chat token>   (Last-Event-ID or ?after=<seq>)
    GET /live/agent/stream?token=<agent stream token>

No cookie is needed (the token says who it is), so `casedesk live` may run on another origin;
the answers carry `Access-Control-Allow-Origin: *`.

What a visitor's stream sends, one `data:` line of JSON per message:
- every stored event of the chat as `presenters.event_json` with `id: <seq>`, from the first
  one after Last-Event-ID (or `?after=`), so a reconnect replays what it missed;
- the agent's ephemeral signals, without an id: `{"kind": "typing", "side": "agent",
  "typing": bool}` and `{"kind": "read", "side": "agent", "seq": n}`.
When the chat has ended (ended, deflected, missed) the stream ends after the event that
says so; a stream asked for after that answers 204, which tells the browser to stop
reconnecting.

What an agent's stream sends (no ids: every message names its chat):
- first `{"kind": "snapshot", "offers": [...], "chats": [...], "events": []}`: the pending
  offers and active chats as `GET /chats/poll` has them (`agent_views.poll_answer`); the
  console fetches the events it lacks. Sent again after the live process lost its database
  connection, followed by what the known chats missed meanwhile;
- every stored event of the agent's chats as `{**event_json, "chat": <public id>}`;
- ephemeral signals with `"chat"` added: the visitor's typing and read, `offer`,
  `offer_gone`.

Under `casedesk live` (ASGI) on PostgreSQL a stream stays open, fed by the hub
(`chat/live.py`), with a `: keep-alive` comment every KEEPALIVE_S and `retry: 2000`. Under
ASGI on SQLite it reads the database every POLL_EVERY_S for POLL_FOR_S and ends. A stream
request that reaches the WSGI server (`casedesk serve`) must not hold one of its threads: it
answers what is new at once with `retry: 1500` and ends, and the browser's EventSource asks
again: short polling. Under ASGI every database read runs in `live.db_threads`, never on the
event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from casedesk.chat import live, selectors, services, tokens
from casedesk.chat.agent_access import chat_for_member
from casedesk.chat.agent_views import poll_answer
from casedesk.chat.models import OPEN_STATES, Chat, ChatEventKind
from casedesk.chat.presenters import event_json
from casedesk.chat.visitor_views import is_typing
from casedesk.core import clock
from casedesk.core.errors import DomainError, Invalid, PermissionDenied
from casedesk.tenancy.models import Membership, Tenant

KEEPALIVE_S = 15.0
LIVE_RETRY_MS = 2000
POLL_RETRY_MS = 1500
# ASGI on SQLite (no LISTEN): how often a stream reads the database, and for how long.
POLL_EVERY_S = 1.0
POLL_FOR_S = 25.0
# A live stream ends after this long (the browser reconnects at once with Last-Event-ID),
# so no connection lives for ever behind proxies and load balancers.
STREAM_MAX_S = 30 * 60.0
# How often an open stream tells the services its side is still there.
VISITOR_SEEN_EVERY_S = 60.0
AGENT_SEEN_EVERY_S = 20.0
CLOSED_STATES = frozenset({"ended", "deflected", "missed"})
CORS = {"Access-Control-Allow-Origin": "*"}

Json = dict[str, Any]


# --- the wire format (pure) -----------------------------------------------------------------


def sse(data: Mapping[str, Any], *, event_id: int | None = None) -> bytes:
    """One SSE message: JSON on one `data:` line (JSON escapes every line break)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {text}\n\n".encode()


def sse_retry(ms: int) -> bytes:
    return f"retry: {ms}\n\n".encode()


KEEPALIVE = b": keep-alive\n\n"


def parse_after(last_event_id: str | None, after: str | None) -> int:
    """The last seq the visitor has: the Last-Event-ID header the browser sends on a
    reconnect (newer than the URL's `after`), else `?after=`, else 0."""
    for value in (last_event_id, after):
        if value is None or not value.strip():
            continue
        text = value.strip()
        if not text.isdecimal() or len(text) > 10 or int(text) > 2**31 - 1:
            raise Invalid("The last event id must be a whole number.", field="after")
        return int(text)
    return 0


def closes_chat(event: Mapping[str, Any]) -> bool:
    """Whether a stored event says the chat is over (its stream may end after it)."""
    data = event.get("data")
    return (
        event.get("kind") == ChatEventKind.STATE
        and isinstance(data, dict)
        and data.get("state") in CLOSED_STATES
    )


def visitor_hears(ephemeral: Mapping[str, Any]) -> bool:
    """Ephemeral signals a visitor's stream passes on: not the agents' own (offers), not
    the visitor's own typing."""
    if ephemeral.get("to") == "agents" or str(ephemeral.get("kind", "")).startswith("offer"):
        return False
    return ephemeral.get("side") != "visitor"


def agent_hears(ephemeral: Mapping[str, Any]) -> bool:
    """Ephemeral signals an agent's stream passes on: all but the agent's own typing."""
    return not (ephemeral.get("kind") == "typing" and ephemeral.get("side") == "agent")


@dataclass
class SeqCursor:
    """The last seq a stream sent of one chat, and what to do with the next one."""

    last: int

    def place(self, seq: int) -> str:
        """ "send" (the next one), "skip" (sent already) or "gap" (some are missing: read
        them from the database)."""
        if seq <= self.last:
            return "skip"
        return "send" if seq == self.last + 1 else "gap"


# --- what the database says (run in live.db_threads under ASGI) ------------------------------


def _events_after(chat: Chat, after: int) -> list[Json]:
    """Every event of the chat after `after`, page by page."""
    events: list[Json] = []
    while True:
        page = selectors.events_after(chat, after)
        events += [event_json(e) for e in page]
        if len(page) < selectors.EVENTS_PAGE:
            return events
        after = page[-1].seq


@dataclass
class VisitorOpened:
    chat: Chat
    events: list[Json]
    typing: bool = False

    @property
    def closed(self) -> bool:
        return self.chat.state not in OPEN_STATES


def _open_visitor(public_id: str, token: str, after: int) -> VisitorOpened:
    """The chat the token is for (403 for another chat's, 404 for none) and its events after
    `after`; tells the services its visitor is there."""
    if not token:
        raise PermissionDenied("This chat needs its token.")
    tenant_id, _ = tokens.token_chat_ref(token)
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        raise PermissionDenied("This chat link is not valid.")
    chat = tokens.chat_from_token(tenant, public_id, token)
    now = clock.now()
    if chat.state in OPEN_STATES:
        services.visitor_seen(chat=chat, now=now)
    events = _events_after(chat, after)
    typing = chat.state in OPEN_STATES and is_typing(chat.agent_typing_at, now)
    return VisitorOpened(chat=chat, events=events, typing=typing)


def _visitor_since(chat: Chat, after: int) -> VisitorOpened:
    """The chat as it is now and its events after `after` (a stream catching up)."""
    fresh = Chat.objects.get(pk=chat.pk)
    fresh.tenant = chat.tenant
    events = _events_after(fresh, after) if fresh.last_seq > after else []
    return VisitorOpened(
        chat=fresh, events=events, typing=is_typing(fresh.agent_typing_at, clock.now())
    )


def _visitor_still_here(chat: Chat) -> None:
    if chat.state in OPEN_STATES:
        services.visitor_seen(chat=chat, now=clock.now())


@dataclass
class AgentOpened:
    membership: Membership
    answer: Json  # poll_answer's {"offers", "chats", "events"}
    known: dict[str, int] = field(default_factory=dict)  # chat public id -> last seq sent


def _agent_here(membership: Membership) -> None:
    """The agent's console is there; offers nobody answered move on (so chat works without
    a worker too, as the console's poll does)."""
    now = clock.now()
    services.agent_seen(tenant=membership.tenant, user=membership.user_id, now=now)
    services.offers_expire(now=now, tenant=membership.tenant)


def _open_agent(token: str) -> AgentOpened:
    if not token:
        raise PermissionDenied("The live stream needs its token.")
    tenant_id, user_id = tokens.member_from_stream_token(token)
    membership = (
        Membership.objects.select_related("tenant", "user")
        .filter(tenant_id=tenant_id, user_id=user_id, is_active=True, user__is_active=True)
        .first()
    )
    if membership is None:
        raise PermissionDenied("You are no longer a member of this desk.")
    _agent_here(membership)
    answer = poll_answer(membership, {}, clock.now())
    return AgentOpened(
        membership=membership,
        answer=answer,
        known={c["id"]: int(c["last_seq"]) for c in answer["chats"]},
    )


def _agent_since(membership: Membership, known: dict[str, int]) -> Json:
    """Offers and chats now, and the events the known chats lack."""
    return poll_answer(membership, dict(known), clock.now())


def _agent_chat_events(membership: Membership, public_id: str, after: int) -> list[Json]:
    try:
        chat = chat_for_member(membership, public_id)
    except DomainError:
        return []
    return [{**event_json(e), "chat": public_id} for e in selectors.events_after(chat, after)]


# --- the views ------------------------------------------------------------------------------


def _error(error: DomainError) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"detail": error.detail}),
        status=error.status_code,
        content_type="application/json",
    )
    for name, value in CORS.items():
        response[name] = value
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Last-Event-ID, X-Chat-Token, Cache-Control"
    response["Access-Control-Max-Age"] = "86400"
    return response


def _not_allowed() -> HttpResponse:
    response = HttpResponse(
        json.dumps({"detail": "Method not allowed."}), status=405, content_type="application/json"
    )
    response["Allow"] = "GET, OPTIONS"
    return response


def _event_headers(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-cache, no-store"
    # nginx would otherwise buffer the stream (README: the reverse proxy).
    response["X-Accel-Buffering"] = "no"
    for name, value in CORS.items():
        response[name] = value
    return response


def _one_shot(body: bytes) -> HttpResponseBase:
    return _event_headers(HttpResponse(body, content_type="text/event-stream; charset=utf-8"))


def _streaming(content: AsyncIterator[bytes]) -> HttpResponseBase:
    return _event_headers(
        StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    )


def _stopped() -> HttpResponseBase:
    """204: the browser's EventSource stops reconnecting."""
    return _event_headers(HttpResponse(status=204))


async def _release_request_connections(request: HttpRequest) -> None:
    """Closes what the synchronous middleware opened in this request's own thread (the
    session's lookup, when the browser sent a cookie): a stream lives for minutes, and would
    otherwise keep that database connection all along. Thread-sensitive, so it runs in that
    thread, whose connections this coroutine cannot see. Only when the middleware ran:
    `casedesk live` (`chat/live_asgi.py`) sends the streams past it. The stream's own reads
    run in `live.db_threads`, which share a few connections."""
    if hasattr(request, "session"):
        await sync_to_async(connections.close_all)()


def _canonical(public_id: str) -> str:
    """The chat's id as `publish` names it (a malformed one is refused by the token check)."""
    try:
        return str(UUID(public_id))
    except ValueError:
        return public_id


async def chat_stream(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """A visitor's chat, live (see the module's docstring)."""
    if request.method == "OPTIONS":
        return _preflight()
    if request.method != "GET":
        return _not_allowed()
    token = request.GET.get("token") or request.headers.get("X-Chat-Token") or ""
    try:
        after = parse_after(request.headers.get("Last-Event-ID"), request.GET.get("after"))
    except Invalid as error:
        return _error(error)
    if not isinstance(request, ASGIRequest):
        # The WSGI server: answer what is new and end (short polling).
        try:
            opened = await sync_to_async(_open_visitor)(public_id, token, after)
        except DomainError as error:
            return _error(error)
        if opened.closed and not opened.events:
            return _stopped()
        return _one_shot(_visitor_batch(opened, POLL_RETRY_MS))
    await _release_request_connections(request)
    hub = live.hub()
    subscriber = hub.subscribe_chat(_canonical(public_id)) if hub.listening else None
    try:
        opened = await live.db_threads.run(_open_visitor, public_id, token, after)
    except BaseException as error:
        if subscriber is not None:
            hub.unsubscribe(subscriber)
        if isinstance(error, DomainError):
            return _error(error)
        raise
    if opened.closed and not opened.events:
        if subscriber is not None:
            hub.unsubscribe(subscriber)
        return _stopped()
    if subscriber is None:
        return _streaming(_visitor_polling(opened, after))
    return _streaming(_visitor_live(opened, after, hub, subscriber))


def _visitor_batch(opened: VisitorOpened, retry_ms: int) -> bytes:
    parts = [sse_retry(retry_ms)]
    parts += [sse(e, event_id=e["seq"]) for e in opened.events]
    if opened.typing:
        parts.append(sse({"kind": "typing", "side": "agent", "typing": True}))
    return b"".join(parts)


async def _visitor_live(
    opened: VisitorOpened, after: int, hub: live.Hub, subscriber: live.Subscriber
) -> AsyncIterator[bytes]:
    chat = opened.chat
    cursor = SeqCursor(after)
    started = seen = time.monotonic()
    try:
        yield sse_retry(LIVE_RETRY_MS)
        for data in opened.events:
            cursor.last = max(cursor.last, data["seq"])
            yield sse(data, event_id=data["seq"])
        if opened.closed or any(closes_chat(e) for e in opened.events):
            return
        if opened.typing:
            yield sse({"kind": "typing", "side": "agent", "typing": True})
        while True:
            item = await _next(subscriber)
            if item is None:
                if time.monotonic() - started > STREAM_MAX_S:
                    return
                if time.monotonic() - seen > VISITOR_SEEN_EVERY_S:
                    seen = time.monotonic()
                    await live.db_threads.run(_visitor_still_here, chat)
                yield KEEPALIVE
                continue
            if isinstance(item, live.Notice):
                if item.ephemeral is not None and visitor_hears(item.ephemeral):
                    yield sse(item.ephemeral)
                seq = item.event["seq"] if item.event is not None else item.seq
                if seq is None:
                    continue
                place = cursor.place(seq)
                if place == "skip":
                    continue
                if place == "send" and item.event is not None:
                    cursor.last = seq
                    yield sse(item.event, event_id=seq)
                    if closes_chat(item.event):
                        return
                    continue
            # A gap, an event too big to carry, or the hub reconnected: the database has it.
            caught = await live.db_threads.run(_visitor_since, chat, cursor.last)
            for data in caught.events:
                if cursor.place(data["seq"]) != "skip":
                    cursor.last = data["seq"]
                    yield sse(data, event_id=data["seq"])
            if caught.closed:
                return
    finally:
        hub.unsubscribe(subscriber)


async def _visitor_polling(opened: VisitorOpened, after: int) -> AsyncIterator[bytes]:
    """ASGI without LISTEN (SQLite): read the database every POLL_EVERY_S, for a while."""
    chat, last, typing = opened.chat, after, opened.typing
    yield _visitor_batch(opened, POLL_RETRY_MS)
    for data in opened.events:
        last = max(last, data["seq"])
    if opened.closed:
        return
    deadline = time.monotonic() + POLL_FOR_S
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_EVERY_S)
        now = await live.db_threads.run(_visitor_since, chat, last)
        for data in now.events:
            last = max(last, data["seq"])
            yield sse(data, event_id=data["seq"])
        if now.typing != typing:
            typing = now.typing
            yield sse({"kind": "typing", "side": "agent", "typing": typing})
        if now.closed:
            return
        chat = now.chat
    await live.db_threads.run(_visitor_still_here, chat)


async def agent_stream(request: HttpRequest) -> HttpResponseBase:
    """An agent's offers and active chats, live (see the module's docstring)."""
    if request.method == "OPTIONS":
        return _preflight()
    if request.method != "GET":
        return _not_allowed()
    token = request.GET.get("token") or ""
    if not isinstance(request, ASGIRequest):
        try:
            opened = await sync_to_async(_open_agent)(token)
        except DomainError as error:
            return _error(error)
        return _one_shot(sse_retry(POLL_RETRY_MS) + _snapshot(opened.answer))
    await _release_request_connections(request)
    hub = live.hub()
    try:
        tenant_id, user_id = tokens.member_from_stream_token(token) if token else (0, 0)
    except DomainError as error:
        return _error(error)
    subscriber = hub.subscribe_agent(tenant_id, user_id) if hub.listening and token else None
    try:
        opened = await live.db_threads.run(_open_agent, token)
    except BaseException as error:
        if subscriber is not None:
            hub.unsubscribe(subscriber)
        if isinstance(error, DomainError):
            return _error(error)
        raise
    if subscriber is None:
        return _streaming(_agent_polling(opened))
    return _streaming(_agent_live(opened, hub, subscriber))


def _snapshot(answer: Json) -> bytes:
    return sse(
        {"kind": "snapshot", "offers": answer["offers"], "chats": answer["chats"], "events": []}
    )


def _answer_events(answer: Json, known: dict[str, int]) -> list[bytes]:
    """The events of a poll answer the stream has not sent yet, and `known` brought up."""
    out = []
    for data in answer["events"]:
        chat_id, seq = data["chat"], data["seq"]
        if seq > known.get(chat_id, 0):
            known[chat_id] = seq
            out.append(sse(data))
    for chat in answer["chats"]:
        known[chat["id"]] = max(known.get(chat["id"], 0), int(chat["last_seq"]))
    return out


async def _agent_live(
    opened: AgentOpened, hub: live.Hub, subscriber: live.Subscriber
) -> AsyncIterator[bytes]:
    membership, known = opened.membership, opened.known
    started = seen = time.monotonic()
    try:
        yield sse_retry(LIVE_RETRY_MS)
        yield _snapshot(opened.answer)
        while True:
            item = await _next(subscriber)
            if item is None:
                if time.monotonic() - started > STREAM_MAX_S:
                    return
                if time.monotonic() - seen > AGENT_SEEN_EVERY_S:
                    seen = time.monotonic()
                    await live.db_threads.run(_agent_here, membership)
                yield KEEPALIVE
                continue
            if isinstance(item, live.Resync):
                answer = await live.db_threads.run(_agent_since, membership, known)
                yield _snapshot(answer)
                for part in _answer_events(answer, known):
                    yield part
                continue
            chat_id = item.chat_id
            if item.ephemeral is not None and agent_hears(item.ephemeral):
                yield sse({**item.ephemeral, "chat": chat_id})
            seq = item.event["seq"] if item.event is not None else item.seq
            if seq is None:
                continue
            previous = known.get(chat_id)
            if previous is not None and seq <= previous:
                continue
            if item.event is not None and (previous is None or seq == previous + 1):
                # A chat the snapshot did not have (just accepted) starts where it is: the
                # console reads its transcript itself.
                known[chat_id] = seq
                yield sse({**item.event, "chat": chat_id})
                continue
            start = previous if previous is not None else seq - 1
            for data in await live.db_threads.run(_agent_chat_events, membership, chat_id, start):
                if data["seq"] > known.get(chat_id, start):
                    known[chat_id] = data["seq"]
                    yield sse(data)
    finally:
        hub.unsubscribe(subscriber)


async def _agent_polling(opened: AgentOpened) -> AsyncIterator[bytes]:
    """ASGI without LISTEN (SQLite): the poll's answer every POLL_EVERY_S, for a while; a
    new snapshot whenever the offers or chats changed."""
    membership, known = opened.membership, opened.known
    yield sse_retry(POLL_RETRY_MS) + _snapshot(opened.answer)
    shown = _shape(opened.answer)
    deadline = time.monotonic() + POLL_FOR_S
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_EVERY_S)
        answer = await live.db_threads.run(_agent_since, membership, known)
        if _shape(answer) != shown:
            shown = _shape(answer)
            yield _snapshot(answer)
        for part in _answer_events(answer, known):
            yield part
    await live.db_threads.run(_agent_here, membership)


def _shape(answer: Json) -> tuple[Any, ...]:
    """What a snapshot shows, to tell whether it changed."""
    return (
        tuple(o["id"] for o in answer["offers"]),
        tuple(
            (c["id"], c["state"], c.get("visitor_typing"), c.get("visitor_read_seq"))
            for c in answer["chats"]
        ),
    )


async def _next(subscriber: live.Subscriber) -> live.Item | None:
    """The subscriber's next delivery, or None after KEEPALIVE_S of silence."""
    try:
        async with asyncio.timeout(KEEPALIVE_S):
            return await subscriber.queue.get()
    except TimeoutError:
        return None
