"""Helpers for the live tests: a hub running in its own event loop thread, chats in the states
the streams care about, the test URLconf with the streams, and `casedesk live` as a process."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection

from casedesk.chat import live, services
from casedesk.chat.models import Chat
from casedesk.chat.services import VisitorStart
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW
from tests.servers import free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("casedesk")
TEST_KEY = "casedesk-test-suite-key-not-for-any-installation-0123456789"


class HubThread:
    """A `live.Hub` in an event loop of its own thread, driven from the (sync) test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.hub: live.Hub = self.call(self._make())

    async def _make(self) -> live.Hub:
        return live.hub()

    def call[R](self, coroutine: Coroutine[Any, Any, R], timeout: float = 10) -> R:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def subscribe_chat(self, chat_id: str) -> live.Subscriber:
        async def go() -> live.Subscriber:
            return self.hub.subscribe_chat(chat_id)

        return self.call(go())

    def subscribe_agent(self, tenant_id: int, user_id: int) -> live.Subscriber:
        async def go() -> live.Subscriber:
            return self.hub.subscribe_agent(tenant_id, user_id)

        return self.call(go())

    def wait_connected(self, connects: int = 1, timeout: float = 10) -> None:
        async def go() -> None:
            while self.hub.connects < connects or not self.hub.connected.is_set():
                await asyncio.sleep(0.02)

        self.call(go(), timeout)

    def next(self, subscriber: live.Subscriber, timeout: float = 5) -> live.Item | None:
        async def go() -> live.Item | None:
            try:
                async with asyncio.timeout(timeout):
                    return await subscriber.queue.get()
            except TimeoutError:
                return None

        return self.call(go(), timeout + 5)

    def next_notice(self, subscriber: live.Subscriber, timeout: float = 5) -> live.Notice | None:
        """The next notice, past the RESYNCs a (re)connect sends."""
        while True:
            item = self.next(subscriber, timeout)
            if item is None or isinstance(item, live.Notice):
                return item

    def close(self) -> None:
        self.call(self.hub.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()
        live.db_threads.close()


@contextmanager
def hub_thread() -> Iterator[HubThread]:
    running = HubThread()
    try:
        yield running
    finally:
        running.close()


def chat_on(tenant: Tenant, now: datetime = NOW) -> None:
    services.chat_settings_update(
        tenant=tenant,
        actor=None,
        now=now,
        changes={"enabled": True, "allowed_origins": ["https://www.acme.test"]},
    )


def start_chat(
    tenant: Tenant,
    message: str = "My invoice total looks wrong",
    email: str = "vera@customer.test",
    ip: str = "203.0.113.9",
    now: datetime = NOW,
) -> Chat:
    return services.chat_start(
        tenant=tenant,
        visitor=VisitorStart(name="Vera Visitor", email=email, message=message, ip=ip),
        now=now,
    )


def active_chat(tenant: Tenant, agent: Membership, now: datetime = NOW, **start: Any) -> Chat:
    """A chat the agent has accepted (state ACTIVE, with its case)."""
    chat_on(tenant, now)
    services.agent_status_set(tenant=tenant, user=agent.user, available=True, now=now)
    chat = start_chat(tenant, now=now, **start)
    offer = chat.offers.get()
    return services.offer_accept(offer=offer, user=agent.user, now=now)


# --- casedesk live as a process ---------------------------------------------------------------


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def database_url() -> str:
    """The test database as a DATABASE_URL (the server process reads what the test wrote)."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{s.get('USER') or 'postgres'}@{s.get('HOST') or '127.0.0.1'}:"
            f"{s.get('PORT') or 5432}/{s['NAME']}"
        )
    return f"sqlite:///{s['NAME']}"


def server_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CASEDESK_SECRET_KEY_FILE"}
    env.update(
        {
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "tests.chat.live_settings",
            "CASEDESK_SECRET_KEY": TEST_KEY,
            "CASEDESK_VAR_DIR": str(tmp_path),
            "CASEDESK_DEBUG": "0",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        }
    )
    return env


@contextmanager
def live_server(tmp_path: Path, *extra: str) -> Iterator[LiveServer]:
    """`casedesk live` on a free port, against the test database."""
    port = free_port()
    log = tmp_path / f"live-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SCRIPT), "live", "--port", str(port), *extra],
            cwd=ROOT,
            env=server_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            if not wait_for_health(port, tries=150):
                raise AssertionError(f"casedesk live did not start: {log.read_text()}")
            yield LiveServer(port=port, process=process, log=log)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


# --- reading a stream ---------------------------------------------------------------------------


@dataclass
class Message:
    """One SSE message: its id, its JSON data, a retry or a comment."""

    id: int | None = None
    data: Any = None
    retry: int | None = None
    comment: str | None = None


class Reader:
    """Reads SSE messages off an open httpx streaming response."""

    def __init__(self, response: Any) -> None:
        self.lines = response.iter_lines()

    def next(self) -> Message:
        message = Message()
        seen = False
        for line in self.lines:
            if not line:
                if seen:
                    return message
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comment = value
            elif name == "id":
                message.id = int(value)
            elif name == "data":
                import json

                message.data = json.loads(value)
            elif name == "retry":
                message.retry = int(value)
        raise EOFError("the stream ended")

    def data_until(self, wanted: Any, limit: int = 50) -> list[Any]:
        """The data of the messages up to and including the first `wanted(data)` is true
        of."""
        got = []
        for _ in range(limit):
            message = self.next()
            if message.data is None:
                continue
            got.append(message.data)
            if wanted(message.data):
                return got
        raise AssertionError(f"not found in {got}")
