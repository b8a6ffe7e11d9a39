"""`python -m bench --only chat`: live chat under load. 200 chats at once, each with its
visitor and its agent (40 agents with 5 active chats each) writing every 4–6 s (jittered) for
60 s, on PostgreSQL.

Servers, as in production: `casedesk serve` (gunicorn) takes the messages (the visitor's
`POST /chat/<slug>/c/<id>/messages` with the chat's token, the agent's
`POST /api/v1/chats/<id>/messages` with a bearer token), and `casedesk live` (uvicorn) holds
the 240 Server-Sent-Events streams: one per visitor, one per agent. The client is asyncio
with httpx, in this process (the servers are processes of their own).

What is measured, for every message of the 60 s window (after 10 s of warm-up): the time
from the start of its POST to its arrival on the other side's stream (`chat_delivery_p50`,
`chat_delivery_p99`, ms); for every message, the warm-up's included: that each arrives
exactly once (`chat_lost`, `chat_duplicates`) and, on every stream, each chat's events in
order (`chat_out_of_order`: an event numbered below one already seen); how many messages
(`chat_messages`) and refused posts (`chat_post_errors`). The chats are set up through the
services directly (started, offered, accepted), as the brief allows.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cpu
from bench.database import ROOT, Database, casedesk_command, server_environment
from bench.loader import log
from bench.results import Report, percentile
from bench.server import HOST, Server, free_port, running

SLUG = "bench-chat"
CHATS = 200
AGENTS = 40
DURATION_S = 60.0
# Sending before the measured window: the web workers' first requests (imports, database
# connections) are not what a running desk sees. Those messages are checked for loss and
# order all the same.
WARMUP_S = 10.0
INTERVAL_S = (4.0, 6.0)
# After the last post: how long to wait for what is still on its way.
DRAIN_S = 10.0
WEB_WORKERS = 3
LIVE_WORKERS = 1
START_TIMEOUT = 60.0
WATCH_EVERY_S = 2.0
# The tables a run writes to over and over (VACUUM before each run).
CHURNED_TABLES = (
    "chat_chat",
    "chat_chatevent",
    "chat_chatoffer",
    "chat_agentchatstatus",
    "cases_case",
    "cases_note",
    "cases_timelineevent",
    "reports_factstale",
    "assist_similardirty",
)
POST_RETRIES = 2
POST_TIMEOUT_S = 30.0
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Plan:
    chats: int = CHATS
    agents: int = AGENTS
    duration_s: float = DURATION_S
    warmup_s: float = WARMUP_S
    interval_s: tuple[float, float] = INTERVAL_S
    drain_s: float = DRAIN_S
    web_workers: int = WEB_WORKERS
    live_workers: int = LIVE_WORKERS
    seed: int = 20

    @property
    def chats_per_agent(self) -> int:
        return -(-self.chats // self.agents)


@dataclass(frozen=True)
class ChatHandle:
    public_id: str
    token: str  # the visitor's
    agent_id: int
    last_seq: int  # when the run starts


@dataclass
class Setup:
    slug: str
    chats: list[ChatHandle]
    bearer: dict[int, str]  # agent user id -> API token
    stream_tokens: dict[int, str]  # agent user id -> live stream token


# --- set-up through the services ------------------------------------------------------------


def prepare(plan: Plan) -> Setup:
    """The bench tenant with chat on, `plan.agents` agents available for chat, and
    `plan.chats` chats accepted by them; the last run's chats are ended first."""
    from casedesk.chat import services, tokens
    from casedesk.chat.models import OPEN_STATES, Chat, ChatOffer, ChatState, OfferState
    from casedesk.chat.services import VisitorStart
    from casedesk.ops.provisioning import tenant_create
    from casedesk.routing.models import Queue
    from casedesk.routing.queues import queue_update
    from casedesk.tenancy.models import ApiToken, Membership, Role, Tenant
    from casedesk.tenancy.services import membership_add, token_create, user_get_or_create

    now = datetime.now(UTC)
    domain = f"{SLUG}.bench.invalid"
    tenant = Tenant.objects.filter(slug=SLUG).first() or tenant_create(
        slug=SLUG, name="Bench chat", admin_email=f"admin@{domain}"
    )
    Chat.objects.filter(tenant=tenant, state__in=OPEN_STATES).update(
        state=ChatState.ENDED, ended_at=now, ended_by="system"
    )
    ChatOffer.objects.filter(tenant=tenant, state=OfferState.PENDING).update(
        state=OfferState.WITHDRAWN, answered_at=now
    )
    services.chat_settings_update(
        tenant=tenant,
        actor=None,
        now=now,
        changes={
            "enabled": True,
            "bot_enabled": False,
            "chats_per_agent": plan.chats_per_agent,
            "offer_timeout_seconds": 300,
            "allowed_origins": [f"https://www.{domain}"],
        },
    )
    members: list[Membership] = []
    for k in range(1, plan.agents + 1):
        user = user_get_or_create(email=f"agent{k:02d}@{domain}", full_name=f"Agent {k:02d}")
        members.append(membership_add(tenant=tenant, user=user, role=Role.AGENT))
    support = Queue.objects.get(tenant=tenant, name="Support")
    queue_update(queue=support, changes={"member_ids": [m.user_id for m in members]})
    ApiToken.objects.filter(membership__in=members, name="bench").delete()
    bearer, stream_tokens = {}, {}
    for membership in Membership.objects.filter(pk__in=[m.pk for m in members]).select_related(
        "tenant", "user"
    ):
        services.agent_status_set(tenant=tenant, user=membership.user, available=True, now=now)
        bearer[membership.user_id] = token_create(membership=membership, name="bench").secret
        stream_tokens[membership.user_id] = tokens.agent_stream_token(membership)
    users = {m.user_id: m.user for m in members}
    run = now.strftime("%Y%m%d%H%M%S")
    chats: list[ChatHandle] = []
    for n in range(plan.chats):
        chat = services.chat_start(
            tenant=tenant,
            now=datetime.now(UTC),
            visitor=VisitorStart(
                name=f"Visitor {n:03d}",
                email=f"v{n:03d}-{run}@visitors.bench.invalid",
                message=f"Question {n}: my invoice total looks wrong.",
            ),
        )
        offer = ChatOffer.objects.filter(chat=chat, state=OfferState.PENDING).first()
        if offer is None:
            raise RuntimeError(f"chat {n} was not offered to anyone ({chat.state})")
        chat = services.offer_accept(offer=offer, user=users[offer.agent_id], now=datetime.now(UTC))
        chats.append(
            ChatHandle(
                public_id=str(chat.public_id),
                token=tokens.chat_token(chat),
                agent_id=offer.agent_id,
                last_seq=chat.last_seq,
            )
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        # Autovacuum is off on the bench machine (as for the other benchmarks): without this
        # every run would find the chats' and cases' rows behind the dead versions all the
        # runs before it left (each message updates its chat and its case), and grow slower.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(CHURNED_TABLES)}")
    loads: dict[int, int] = {}
    for handle in chats:
        loads[handle.agent_id] = loads.get(handle.agent_id, 0) + 1
    log(
        f"chat: {len(chats)} chats accepted by {len(loads)} agents "
        f"(at most {max(loads.values())} each)"
    )
    return Setup(slug=SLUG, chats=chats, bearer=bearer, stream_tokens=stream_tokens)


# --- the live server --------------------------------------------------------------------------


def _wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"casedesk live exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"casedesk live did not answer within {START_TIMEOUT:.0f} s; see {log_path}")


@contextmanager
def live_running(db: Database, workers: int, log_dir: Path) -> Iterator[Server]:
    """`casedesk live` on a free port, stopped (SIGTERM, then its group killed) on exit."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"live-{workers}w.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                casedesk_command(),
                "live",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            env=server_environment(db),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_ready(process, port, log_path)
            yield Server(host=HOST, port=port, workers=workers, pid=process.pid)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


# --- the client ---------------------------------------------------------------------------------


@dataclass
class Sent:
    chat: str
    side: str  # "visitor" or "agent": who wrote it
    started: float  # perf_counter at the POST's start
    ok: bool = False
    post_ms: float = 0.0


@dataclass
class Tally:
    """What the client saw; plain data, so it can be checked without servers."""

    sent: dict[str, Sent] = field(default_factory=dict)  # client id -> the post
    arrivals: dict[str, list[float]] = field(default_factory=dict)  # on the other side
    last_seq: dict[tuple[str, str], int] = field(default_factory=dict)  # (stream, chat)
    out_of_order: int = 0
    repeated: int = 0  # an event number seen twice on one stream
    post_errors: list[str] = field(default_factory=list)
    post_retries: int = 0
    stream_errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    measure_from: float = 0.0  # perf_counter: posts started earlier are the warm-up

    def saw(self, stream: str, chat: str, event: dict[str, Any], reader: str, at: float) -> None:
        """An event arrived on `stream` (read by `reader`: "visitor" or "agent")."""
        seq = event.get("seq")
        if not isinstance(seq, int):
            return
        key = (stream, chat)
        last = self.last_seq.get(key, 0)
        if seq < last:
            self.out_of_order += 1
        elif seq == last:
            self.repeated += 1
            return
        self.last_seq[key] = max(last, seq)
        client_id = event.get("client_id") or ""
        if event.get("kind") == "message" and event.get("author") != reader and client_id:
            self.arrivals.setdefault(client_id, []).append(at)

    def delivered(self) -> list[float]:
        """Milliseconds from each measured post's start to its first arrival on the other
        side."""
        out = []
        for client_id, sent in self.sent.items():
            times = self.arrivals.get(client_id)
            if sent.ok and times and sent.started >= self.measure_from:
                out.append((times[0] - sent.started) * 1000)
        return out

    def measured(self) -> list[Sent]:
        return [s for s in self.sent.values() if s.ok and s.started >= self.measure_from]

    def lost(self) -> int:
        return sum(1 for cid, s in self.sent.items() if s.ok and not self.arrivals.get(cid))

    def duplicates(self) -> int:
        return self.repeated + sum(len(t) - 1 for t in self.arrivals.values() if len(t) > 1)


def _sse_messages(lines: list[str]) -> tuple[int | None, Any]:
    event_id, data = None, None
    for line in lines:
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            event_id = int(value)
        elif name == "data":
            data = json.loads(value)
    return event_id, data


async def post(base: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """One JSON POST on a connection of its own (status, body). Deliberately small: the
    client shares the two cores with the servers, and a general HTTP client's per-request
    work would be taken from them (the streams, long-lived, use httpx)."""
    host, _, port = base.removeprefix("http://").partition(":")
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    async with asyncio.timeout(POST_TIMEOUT_S):
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            answer = await reader.read()
        finally:
            writer.close()
    head, _, rest = answer.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        raise ConnectionResetError(f"no HTTP answer: {answer[:100]!r}") from None
    return status, rest


class Client:
    """The visitors and agents: streams open on the live server, posts to the web server."""

    def __init__(self, plan: Plan, setup: Setup, web: str, live: str) -> None:
        self.plan, self.setup, self.web, self.live = plan, setup, web, live
        self.tally = Tally()
        self.ready = 0
        self.all_ready = asyncio.Event()
        self.stopping = False
        self.streams_wanted = len(setup.chats) + len({c.agent_id for c in setup.chats})

    def _is_ready(self) -> None:
        self.ready += 1
        if self.ready >= self.streams_wanted:
            self.all_ready.set()

    async def _stream(
        self, http: Any, url: str, name: str, reader: str, headers: dict[str, str]
    ) -> None:
        """Reads one stream until stopped; reconnects from its last id, as a browser does."""
        first = True
        last_id: str | None = headers.get("Last-Event-ID")
        while not self.stopping:
            sent_headers = {**headers, **({"Last-Event-ID": last_id} if last_id else {})}
            try:
                async with http.stream("GET", url, headers=sent_headers) as response:
                    if response.status_code != 200:
                        self.tally.stream_errors.append(f"{name}: {response.status_code}")
                        return
                    lines: list[str] = []
                    async for line in response.aiter_lines():
                        if line:
                            lines.append(line)
                            continue
                        if not lines:
                            continue
                        at = time.perf_counter()
                        if first:
                            first = False
                            self._is_ready()
                        event_id, data = _sse_messages(lines)
                        lines = []
                        if event_id is not None:
                            last_id = str(event_id)
                        if isinstance(data, dict):
                            chat = str(data.get("chat") or name)
                            self.tally.saw(name, chat, data, reader, at)
            except Exception as error:  # any failure: reconnect
                if self.stopping:
                    return
                self.tally.stream_errors.append(f"{name}: {type(error).__name__}: {error}")
            if not self.stopping:
                self.tally.reconnects += 1
                await asyncio.sleep(1.0)

    async def _sender(self, chat: ChatHandle, side: str, rng: random.Random, until: float) -> None:
        await asyncio.sleep(rng.uniform(0, self.plan.interval_s[1]))
        if side == "visitor":
            path = f"/chat/{self.setup.slug}/c/{chat.public_id}/messages"
            headers = {"X-Chat-Token": chat.token}
        else:
            path = f"/api/v1/chats/{chat.public_id}/messages"
            headers = {"Authorization": f"Bearer {self.setup.bearer[chat.agent_id]}"}
        n = 0
        while time.perf_counter() < until:
            n += 1
            client_id = f"{chat.public_id[:8]}-{side[0]}{n}"
            started = time.perf_counter()
            sent = self.tally.sent[client_id] = Sent(
                chat=chat.public_id, side=side, started=started
            )
            body = json.dumps(
                {"body": f"{side} message {n}: how is it going?", "client_id": client_id}
            ).encode()
            for attempt in range(1 + POST_RETRIES):
                try:
                    status, answer = await post(self.web, path, headers, body)
                except OSError as error:
                    # Sent again with the same client id, it is stored once (as a browser's
                    # retry after a dropped connection is).
                    if attempt < POST_RETRIES:
                        self.tally.post_retries += 1
                        continue
                    self.tally.post_errors.append(f"{side}: {type(error).__name__}: {error}")
                    break
                sent.post_ms = (time.perf_counter() - started) * 1000
                if status == 201:
                    sent.ok = True
                else:
                    self.tally.post_errors.append(f"{side} {status}: {answer[:200]!r}")
                break
            next_at = started + rng.uniform(*self.plan.interval_s)
            if next_at >= until:
                return
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    async def run(self) -> float:
        """Opens every stream, then sends for `plan.duration_s`; the seconds measured."""
        import httpx

        rng = random.Random(self.plan.seed)
        limits = httpx.Limits(
            max_connections=self.streams_wanted + 50,
            max_keepalive_connections=self.streams_wanted + 50,
        )
        timeout = httpx.Timeout(30.0, read=None)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as streams_http:
            readers = [
                asyncio.create_task(
                    self._stream(
                        streams_http,
                        f"{self.live}/live/chat/{c.public_id}/stream?token={c.token}",
                        c.public_id,
                        "visitor",
                        {"Last-Event-ID": str(c.last_seq)},
                    )
                )
                for c in self.setup.chats
            ]
            for agent_id in sorted({c.agent_id for c in self.setup.chats}):
                readers.append(
                    asyncio.create_task(
                        self._stream(
                            streams_http,
                            f"{self.live}/live/agent/stream?token="
                            f"{self.setup.stream_tokens[agent_id]}",
                            f"agent-{agent_id}",
                            "agent",
                            {},
                        )
                    )
                )
            try:
                async with asyncio.timeout(READY_TIMEOUT):
                    await self.all_ready.wait()
            except TimeoutError:
                raise RuntimeError(
                    f"only {self.ready} of {self.streams_wanted} streams "
                    f"opened: {self.tally.stream_errors[:3]}"
                ) from None
            started = time.perf_counter() + self.plan.warmup_s
            self.tally.measure_from = started
            until = started + self.plan.duration_s
            senders = [
                asyncio.create_task(self._sender(chat, side, random.Random(rng.random()), until))
                for chat in self.setup.chats
                for side in ("visitor", "agent")
            ]
            await asyncio.gather(*senders)
            measured = time.perf_counter() - started
            drain_until = time.perf_counter() + self.plan.drain_s
            while self.tally.lost() and time.perf_counter() < drain_until:
                await asyncio.sleep(0.1)
            self.stopping = True
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        return measured


# --- the run ------------------------------------------------------------------------------------


@dataclass
class ChatResult:
    chats: int
    agents: int
    web_workers: int
    live_workers: int
    seconds: float
    messages: int  # in the measured window
    checked: int  # every message posted (warm-up included): what lost and order count over
    delivered: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    post_p50_ms: float
    post_p99_ms: float
    lost: int
    duplicates: int
    out_of_order: int
    post_errors: int
    stream_errors: int
    reconnects: int
    post_retries: int
    cpu_ms_per_message: dict[str, float]
    other_load_pct: float
    first_errors: list[str]


def figures(report: Report, result: ChatResult) -> None:
    report.add("chat_delivery_p50", result.p50_ms, "ms")
    report.add("chat_delivery_p99", result.p99_ms, "ms")
    report.add("chat_messages", result.messages, "messages")
    report.add("chat_lost", result.lost, "messages")
    report.add("chat_out_of_order", result.out_of_order, "messages")
    report.add("chat_duplicates", result.duplicates, "messages")
    report.add("chat_post_errors", result.post_errors, "posts")
    report.add("chat_post_p99", result.post_p99_ms, "ms")


def summarise(
    plan: Plan, tally: Tally, seconds: float, cpu_spent: dict[str, float], other_pct: float
) -> ChatResult:
    delays = tally.delivered()
    posts = [s.post_ms for s in tally.measured()]
    messages = len(tally.measured())
    checked = sum(1 for s in tally.sent.values() if s.ok)
    per_message = {k: round(v * 1000 / max(1, checked), 2) for k, v in cpu_spent.items()}
    return ChatResult(
        chats=plan.chats,
        agents=plan.agents,
        web_workers=plan.web_workers,
        live_workers=plan.live_workers,
        seconds=round(seconds, 1),
        messages=messages,
        checked=checked,
        delivered=len(delays),
        p50_ms=round(percentile(delays, 50), 1),
        p99_ms=round(percentile(delays, 99), 1),
        max_ms=round(max(delays, default=0.0), 1),
        post_p50_ms=round(percentile(posts, 50), 1),
        post_p99_ms=round(percentile(posts, 99), 1),
        lost=tally.lost(),
        duplicates=tally.duplicates(),
        out_of_order=tally.out_of_order,
        post_errors=len(tally.post_errors),
        stream_errors=len(tally.stream_errors),
        reconnects=tally.reconnects,
        post_retries=tally.post_retries,
        cpu_ms_per_message=per_message,
        other_load_pct=round(other_pct, 1),
        first_errors=(tally.post_errors + tally.stream_errors)[:5],
    )


Measure = Callable[[str, Callable[[], ChatResult]], ChatResult]


def run_chat(
    report: Report,
    db: Database,
    log_dir: Path,
    plan: Plan | None = None,
    measure: Measure | None = None,
) -> ChatResult | None:
    """Sets the chats up, starts both servers, runs the client, adds the figures (None and a
    note in `report.skipped` on SQLite). `measure` is the suite's (`Run.measure`): it runs
    again when other work took much of the machine, and keeps the quietest attempt's
    timings; losses and disorder count from every attempt."""
    plan = plan or Plan()
    if db.vendor != "postgresql":
        report.skipped.append("chat: needs PostgreSQL (LISTEN/NOTIFY between the servers)")
        log("chat: skipped, needs PostgreSQL")
        return None
    attempts: list[ChatResult] = []

    def attempt() -> ChatResult:
        attempts.append(measure_once(db, log_dir, plan))
        return attempts[-1]

    result = measure("chat", attempt) if measure is not None else attempt()
    for other in attempts:
        for name in ("lost", "duplicates", "out_of_order", "post_errors"):
            setattr(result, name, max(getattr(result, name), getattr(other, name)))
    figures(report, result)
    report.details["chat"] = result.__dict__
    report.details["chat_attempts"] = [
        {k: getattr(r, k) for k in ("p50_ms", "p99_ms", "other_load_pct", "lost")} for r in attempts
    ]
    return result


def measure_once(db: Database, log_dir: Path, plan: Plan) -> ChatResult:
    """One run: chats set up, both servers started, the client's minute."""
    setup = prepare(plan)
    with (
        running(db, plan.web_workers, log_dir) as web,
        live_running(db, plan.live_workers, log_dir) as live,
    ):
        client = Client(
            plan, setup, f"http://{web.host}:{web.port}", f"http://{live.host}:{live.port}"
        )
        with CpuWatch(web.pid, live.pid, db.name) as watch:
            seconds = asyncio.run(client.run())
    result = summarise(plan, client.tally, seconds, *_cpu(watch.before, watch.after))
    log(
        f"chat: {result.messages} messages in {result.seconds} s, delivery p50 "
        f"{result.p50_ms} ms p99 {result.p99_ms} ms, lost {result.lost}, out of order "
        f"{result.out_of_order}, duplicates {result.duplicates}, post errors "
        f"{result.post_errors}, other work {result.other_load_pct} % of the CPUs "
        f"({plan.web_workers} web workers, {plan.live_workers} live)"
    )
    return result


class CpuWatch:
    """CPU samples of both servers and the database every WATCH_EVERY_S while the client
    runs: a process that ends meanwhile (a database connection past CONN_MAX_AGE) keeps
    what it had spent at its last sample, instead of vanishing into "other work"."""

    def __init__(self, web_pid: int, live_pid: int, database: str | None) -> None:
        self.pids, self.database = (web_pid, live_pid), database
        self.seen: tuple[dict[int, float], dict[int, float], dict[int, float]] = ({}, {}, {})
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _sample(self) -> tuple[cpu.CpuSample, cpu.CpuSample]:
        web, live = cpu.sample(self.pids[0], self.database), cpu.sample(self.pids[1], None)
        for seen, now in zip(self.seen, (web.app, live.app, web.database), strict=True):
            seen.update(now)
        return web, live

    def _watch(self) -> None:
        while not self.stop.wait(WATCH_EVERY_S):
            self._sample()

    def __enter__(self) -> CpuWatch:
        self.before = self._sample()
        self.seen = ({}, {}, {})  # what `before` has is the baseline, not seen yet
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        web, live = self._sample()
        self.after = (
            cpu.CpuSample(
                app=self.seen[0],
                database=self.seen[2],
                client=web.client,
                machine=web.machine,
                at=web.at,
            ),
            cpu.CpuSample(
                app=self.seen[1], database={}, client=live.client, machine=live.machine, at=live.at
            ),
        )


def _cpu(
    before: tuple[cpu.CpuSample, cpu.CpuSample], after: tuple[cpu.CpuSample, cpu.CpuSample]
) -> tuple[dict[str, float], float]:
    """CPU seconds of each party (web server, live server, database, this client) and the
    share of the machine other work took meanwhile, in %."""
    web, live = cpu.spent(before[0], after[0]), cpu.spent(before[1], after[1])
    spent = {
        "web": web["app"],
        "live": live["app"],
        "database": web["database"],
        "client": web["client"],
    }
    machine = after[0].machine - before[0].machine
    elapsed = max(1e-6, after[0].at - before[0].at)
    other = max(0.0, machine - sum(spent.values()))
    return spent, 100.0 * other / (elapsed * (os.cpu_count() or 1))
