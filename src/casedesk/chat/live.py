"""Real-time delivery of chat events: `publish` (called by the services, inside their
transaction) and the hub (one per `casedesk live` process) that hears what was published
and hands it to the open streams (`chat/streams.py`).

Between processes the messenger is PostgreSQL's LISTEN/NOTIFY: `publish` runs
`pg_notify('casedesk_chat', payload)` on Django's connection in the caller's transaction, so
PostgreSQL delivers it when that transaction commits and never when it rolls back. Every
`casedesk live` process keeps one extra connection that LISTENs on the channel, whichever
web node made the change. The payload carries the event itself when it fits; otherwise only
its number, and the stream reads it from the database. Nothing is lost when a notification
is: every stored event has its number (`seq`, per chat), a stream that sees a gap reads the
missing events from the database, and after the hub's connection was lost and made again
every stream re-reads from its last number.

SQLite has no LISTEN: `publish` does nothing there and the streams poll the database
(`streams.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, connections

log = logging.getLogger(__name__)

CHANNEL = "casedesk_chat"
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; what is left for the event
# after the addressing fields.
PAYLOAD_MAX_BYTES = 7500
# A stream's queue holds this many deliveries; a client that does not read them is marked
# stale instead, and reads what it missed from the database once it catches up.
QUEUE_MAX = 500
# Reconnecting the listener: first wait, longest wait (seconds), doubled with jitter.
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0
# How long the listener waits for a notification before checking its connection is alive.
LISTEN_CHECK_S = 20.0
# Threads (each with its own database connection) that run the streams' database reads in
# a live process, so no read ever blocks the event loop: a few, whatever the streams' count.
DB_THREADS = int(os.environ.get("CASEDESK_LIVE_DB_THREADS", "4") or 4)

Json = dict[str, Any]


# --- publish --------------------------------------------------------------------------------


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def notify_payload(
    *,
    tenant_id: int,
    chat_id: str,
    agent_ids: Sequence[int],
    event: Mapping[str, Any] | None = None,
    ephemeral: Mapping[str, Any] | None = None,
) -> str:
    """The NOTIFY payload: who it is for (tenant, chat, agents), then the event when its JSON
    fits under PAYLOAD_MAX_BYTES, else only its `seq` (the hub reads it from the database).
    An ephemeral signal (typing, an offer) that does not fit is left out: it is only a
    hint, and the agent's snapshot on the next connect shows the offers anyway."""
    base: Json = {"t": tenant_id, "c": str(chat_id), "a": [int(a) for a in agent_ids]}
    room = PAYLOAD_MAX_BYTES - len(_dumps(base).encode())
    if event is not None:
        text = _dumps(dict(event))
        if len(text.encode()) <= room:
            base["e"] = dict(event)
            room -= len(text.encode()) + 5
        else:
            base["s"] = int(event["seq"])
    if ephemeral is not None:
        text = _dumps(dict(ephemeral))
        if len(text.encode()) <= room:
            base["x"] = dict(ephemeral)
        else:
            log.warning(
                "chat %s: an ephemeral %r of %d bytes was too big to publish",
                chat_id,
                ephemeral.get("kind"),
                len(text.encode()),
            )
    return _dumps(base)


def publish(
    *,
    tenant_id: int,
    chat_id: str,
    agent_ids: Sequence[int],
    event: dict[str, Any] | None = None,
    ephemeral: dict[str, Any] | None = None,
) -> None:
    """Tells every live process about a chat event (`event`: `presenters.event_json` of a
    stored event) or an ephemeral signal (typing, offers), for the chat's visitor stream and
    the streams of `agent_ids`.

    Call it inside the transaction that stored the event: PostgreSQL delivers the
    notification when it commits, and never if it rolls back. On SQLite it does nothing:
    the streams there read the database themselves."""
    if event is None and ephemeral is None:
        return
    if connection.vendor != "postgresql":
        return
    payload = notify_payload(
        tenant_id=tenant_id, chat_id=chat_id, agent_ids=agent_ids, event=event, ephemeral=ephemeral
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])


@dataclass(frozen=True)
class Notice:
    """One published notification, as the hub hears it."""

    tenant_id: int
    chat_id: str
    agent_ids: tuple[int, ...]
    event: Json | None = None
    seq: int | None = None  # set instead of `event` when the event was too big to carry
    ephemeral: Json | None = None


def parse_payload(text: str) -> Notice | None:
    """The notice in a NOTIFY payload; None for anything else on the channel."""
    try:
        raw = json.loads(text)
        notice = Notice(
            tenant_id=int(raw["t"]),
            chat_id=str(raw["c"]),
            agent_ids=tuple(int(a) for a in raw.get("a", [])),
            event=raw["e"] if isinstance(raw.get("e"), dict) else None,
            seq=int(raw["s"]) if raw.get("s") is not None else None,
            ephemeral=raw["x"] if isinstance(raw.get("x"), dict) else None,
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("ignoring a malformed notification on %s: %.200s", CHANNEL, text)
        return None
    if notice.event is not None and not isinstance(notice.event.get("seq"), int):
        return None
    return notice


# --- database reads off the event loop ------------------------------------------------------


def _in_db_thread[R](fn: Callable[..., R], args: tuple[Any, ...]) -> R:
    # What Django does around a request: drop a connection that broke or outlived
    # CONN_MAX_AGE, so these long-lived threads keep theirs healthy.
    close_old_connections()
    try:
        return fn(*args)
    finally:
        close_old_connections()


class DbThreads:
    """A few threads that run the live process's database reads. Each keeps its own Django
    connection (CONN_MAX_AGE applies), so hundreds of open streams share a handful of
    connections instead of holding one each."""

    def __init__(self, size: int = DB_THREADS) -> None:
        self.size = max(1, size)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="live-db")
            return self._pool

    async def run[R](self, fn: Callable[..., R], *args: Any) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), _in_db_thread, fn, args)

    def close(self) -> None:
        """Closes every thread's connections and the threads (tests; process exit)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # One job per thread: each waits at the barrier, so every thread takes exactly one.
        barrier = threading.Barrier(self.size)

        def close_here() -> None:
            connections.close_all()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)

        for _ in range(self.size):
            pool.submit(close_here)
        pool.shutdown(wait=True)


db_threads = DbThreads()


# --- the hub --------------------------------------------------------------------------------


class Resync:
    """Delivered to every stream when the hub may have missed notifications (it has just
    connected, or the stream's queue overflowed): read from the database from the last seq."""

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC = Resync()
Item = Notice | Resync


@dataclass(eq=False)
class Subscriber:
    """One open stream's mailbox."""

    chat_id: str | None = None
    agent: tuple[int, int] | None = None  # (tenant id, user id)
    queue: asyncio.Queue[Item] = field(default_factory=lambda: asyncio.Queue(QUEUE_MAX))

    def push(self, item: Item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # It fell behind: drop what waits and have it re-read from the database.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)


def _listen_params() -> dict[str, Any]:
    """psycopg connection arguments for the default database, from Django's settings."""
    params = dict(connections["default"].get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    # A dead peer behind a firewall is noticed in about a minute, not hours.
    params.setdefault("keepalives", 1)
    params.setdefault("keepalives_idle", 30)
    params.setdefault("keepalives_interval", 10)
    params.setdefault("keepalives_count", 3)
    params.setdefault("connect_timeout", 5)
    params.setdefault("application_name", "casedesk live")
    return params


class Hub:
    """The live process's ear: one connection LISTENing on CHANNEL, and the open streams,
    by chat (visitors) and by agent. Started on the first subscription, in the running
    event loop; on SQLite it never listens (`listening` stays False) and the streams poll."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, postgres: bool) -> None:
        self.loop = loop
        self.postgres = postgres
        self.by_chat: dict[str, set[Subscriber]] = {}
        self.by_agent: dict[tuple[int, int], set[Subscriber]] = {}
        self.connected = asyncio.Event()
        self.connects = 0  # times the listener has (re)connected, for tests and logs
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def listening(self) -> bool:
        return self.postgres

    def _start(self) -> None:
        if self.postgres and self._task is None and not self._closing:
            self._task = self.loop.create_task(self._listen(), name="casedesk-live-hub")

    def subscribe_chat(self, chat_id: str) -> Subscriber:
        subscriber = Subscriber(chat_id=str(chat_id))
        self.by_chat.setdefault(subscriber.chat_id or "", set()).add(subscriber)
        self._start()
        return subscriber

    def subscribe_agent(self, tenant_id: int, user_id: int) -> Subscriber:
        key = (int(tenant_id), int(user_id))
        subscriber = Subscriber(agent=key)
        self.by_agent.setdefault(key, set()).add(subscriber)
        self._start()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber.chat_id is not None:
            group = self.by_chat.get(subscriber.chat_id)
            if group is not None:
                group.discard(subscriber)
                if not group:
                    del self.by_chat[subscriber.chat_id]
        if subscriber.agent is not None:
            agents = self.by_agent.get(subscriber.agent)
            if agents is not None:
                agents.discard(subscriber)
                if not agents:
                    del self.by_agent[subscriber.agent]

    @property
    def subscribers(self) -> int:
        return sum(map(len, self.by_chat.values())) + sum(map(len, self.by_agent.values()))

    def dispatch(self, notice: Notice) -> None:
        """Hands a notice to the chat's streams and to its agents' streams."""
        for subscriber in self.by_chat.get(notice.chat_id, ()):
            subscriber.push(notice)
        for agent_id in notice.agent_ids:
            for subscriber in self.by_agent.get((notice.tenant_id, agent_id), ()):
                subscriber.push(notice)

    def resync_all(self) -> None:
        for group in (*self.by_chat.values(), *self.by_agent.values()):
            for subscriber in group:
                subscriber.push(RESYNC)

    def on_payload(self, text: str) -> None:
        notice = parse_payload(text)
        if notice is not None:
            self.dispatch(notice)

    async def _listen(self) -> None:
        """Listens until closed; a lost connection is made again (with backoff), and every
        stream told to catch up from the database."""
        backoff = BACKOFF_FIRST
        while not self._closing:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._closing:
                    break
                if self.connected.is_set():
                    backoff = BACKOFF_FIRST  # it had worked: try again soon
                log.warning(
                    "live hub: listening failed (%s: %s); again in %.1f s",
                    type(error).__name__,
                    error,
                    backoff,
                )
            finally:
                self.connected.clear()
            if not self._closing:
                await asyncio.sleep(backoff)
                backoff = min(BACKOFF_MAX, backoff * 2) * random.uniform(0.8, 1.2)

    async def _listen_once(self) -> None:
        import psycopg

        params = await db_threads.run(_listen_params)
        async with await psycopg.AsyncConnection.connect(autocommit=True, **params) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.connects += 1
            self.connected.set()
            # Whatever was published while nobody listened is in the database.
            self.resync_all()
            while not self._closing:
                async for notify in conn.notifies(timeout=LISTEN_CHECK_S):
                    self.on_payload(notify.payload)
                # Quiet for a while: make sure the connection is still there.
                await conn.execute("SELECT 1")

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The hub of the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        for stale in [other for other in _hubs if other.is_closed()]:
            del _hubs[stale]
        found = _hubs[loop] = Hub(loop, postgres=connections["default"].vendor == "postgresql")
    return found
