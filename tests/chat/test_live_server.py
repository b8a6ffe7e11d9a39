"""`casedesk live` end to end: the real command (uvicorn) as a process against the test
database, streams open over HTTP, messages written through the services in this process.

The server stamps with the wall clock, so these tests do too (no frozen `clock`). On
PostgreSQL the messages reach the open streams through LISTEN/NOTIFY; on SQLite the
streams read the database every second. A reconnect with Last-Event-ID replays what the
visitor missed."""

from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from casedesk.chat import live, services, streams
from casedesk.chat.tokens import agent_stream_token, chat_token
from tests.chat.livekit import Reader, active_chat, live_server
from tests.conftest import postgres_only

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TIMEOUT = httpx.Timeout(10.0, read=30.0)


def _visitor_url(server, chat) -> str:
    return f"{server.base}/live/chat/{chat.public_id}/stream?token={chat_token(chat)}"


def test_messages_reach_the_open_streams_and_a_reconnect_gets_what_it_missed(
    tmp_path: Path, tenant, agent
) -> None:
    chat = active_chat(tenant, agent, timezone.now())
    first = chat.last_seq
    with live_server(tmp_path) as server, httpx.Client(timeout=TIMEOUT) as http:
        with (
            http.stream("GET", _visitor_url(server, chat)) as response,
            http.stream(
                "GET", f"{server.base}/live/agent/stream?token={agent_stream_token(agent)}"
            ) as agent_response,
        ):
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["access-control-allow-origin"] == "*"
            visitor = Reader(response)
            live_retry = streams.LIVE_RETRY_MS if _listens() else streams.POLL_RETRY_MS
            assert visitor.next().retry == live_retry
            replay = visitor.data_until(lambda d: d["seq"] == first)
            assert [d["seq"] for d in replay] == list(range(1, first + 1))
            desk = Reader(agent_response)
            assert desk.next().retry == live_retry
            snapshot = desk.next().data
            assert snapshot["kind"] == "snapshot"
            assert [c["id"] for c in snapshot["chats"]] == [str(chat.public_id)]

            written = services.agent_message(
                chat=chat, user=agent.user, body="Hello Vera", now=timezone.now(), client_id="a-1"
            )
            got = visitor.data_until(lambda d: d.get("client_id") == "a-1")
            assert got[-1]["seq"] == written.seq and got[-1]["body"] == "Hello Vera"
            assert [d["seq"] for d in got if "seq" in d] == [written.seq]

            services.typing(chat=chat, side="visitor", typing=True, now=timezone.now())
            said = services.visitor_message(
                chat=chat, body="Thanks!", now=timezone.now(), client_id="v-1"
            )
            heard = desk.data_until(lambda d: d.get("client_id") == "v-1")
            assert heard[-1]["chat"] == str(chat.public_id) and heard[-1]["seq"] == said.seq
            assert heard[-1]["body"] == "Thanks!"
            # The agent's own message came by too, once, in order.
            assert [d["seq"] for d in heard if d.get("kind") == "message"] == [
                written.seq,
                said.seq,
            ]
            if _listens():
                assert {
                    "kind": "typing",
                    "side": "visitor",
                    "typing": True,
                    "chat": str(chat.public_id),
                } in heard
            last_seen = said.seq
        # The visitor's connection dropped: two messages meanwhile.
        missed = [
            services.agent_message(
                chat=chat,
                user=agent.user,
                body=f"Missed {n}",
                now=timezone.now(),
                client_id=f"a-m{n}",
            ).seq
            for n in range(2)
        ]
        with http.stream(
            "GET", _visitor_url(server, chat), headers={"Last-Event-ID": str(last_seen)}
        ) as response:
            visitor = Reader(response)
            got = visitor.data_until(lambda d: d.get("seq") == missed[-1])
            assert [d["seq"] for d in got] == missed
            services.chat_end(chat=chat, by="visitor", now=timezone.now())
            end = visitor.data_until(lambda d: d.get("kind") == "state")
            assert end[-1]["data"]["state"] == "ended"
            with pytest.raises(EOFError):
                visitor.next()  # the stream ends with the chat
        chat.refresh_from_db()
        again = http.get(_visitor_url(server, chat), headers={"Last-Event-ID": str(chat.last_seq)})
        assert again.status_code == 204


def test_the_live_server_serves_the_sites_pages_too(tmp_path: Path, tenant, agent) -> None:
    """Django's ASGI handler runs the synchronous views in threads: a page, a refusal. The
    streams skip the middleware, but not the Host check."""
    with live_server(tmp_path) as server, httpx.Client(timeout=TIMEOUT) as http:
        assert http.get(f"{server.base}/healthz").json() == {"status": "ok"}
        login = http.get(f"{server.base}/login/")
        assert login.status_code == 200 and "<form" in login.text
        assert "content-security-policy" in login.headers  # the middleware ran
        refused = http.get(f"{server.base}/live/agent/stream?token=forged")
        assert refused.status_code == 403 and "detail" in refused.json()
        assert http.get(f"{server.base}/live/nothing-here").status_code == 404
        stranger = http.get(
            f"{server.base}/live/agent/stream?token=forged", headers={"Host": "evil.example"}
        )
        assert stranger.status_code == 400


def test_an_open_stream_holds_no_thread_of_the_live_server(tmp_path: Path, tenant, agent) -> None:
    chat = active_chat(tenant, agent, timezone.now())
    with live_server(tmp_path) as server, httpx.Client(timeout=TIMEOUT) as http:
        streams = [http.stream("GET", _visitor_url(server, chat)) for _ in range(12)]
        try:
            for stream in streams:
                assert Reader(stream.__enter__()).next().retry is not None
            status = Path(f"/proc/{server.process.pid}/status").read_text()
            threads = int(status.split("Threads:")[1].split()[0])
            # The event loop's thread and the few that read the database, whatever the
            # number of streams.
            assert threads <= 2 + live.DB_THREADS, threads
        finally:
            for stream in streams:
                stream.__exit__(None, None, None)


@postgres_only
def test_a_stream_catches_up_after_a_lost_connection_and_reads_big_events(
    tmp_path: Path, tenant, agent
) -> None:
    from django.db import connection

    chat = active_chat(tenant, agent, timezone.now())
    with (
        live_server(tmp_path) as server,
        httpx.Client(timeout=TIMEOUT) as http,
        http.stream(
            "GET", _visitor_url(server, chat), headers={"Last-Event-ID": str(chat.last_seq)}
        ) as response,
    ):
        visitor = Reader(response)
        assert visitor.next().retry == streams.LIVE_RETRY_MS
        # Cut the hub's LISTEN connection, and write while it reconnects.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                "application_name = 'casedesk live' AND datname = "
                "current_database()"
            )
        written = services.agent_message(
            chat=chat, user=agent.user, body="Still here?", now=timezone.now(), client_id="a-r"
        )
        got = visitor.data_until(lambda d: d.get("client_id") == "a-r")
        assert [d["seq"] for d in got] == [written.seq]
        # Too big for a notification (8,000 bytes): only its number travels, the stream
        # reads the event itself.
        big = services.agent_message(
            chat=chat, user=agent.user, body="é" * 4000, now=timezone.now(), client_id="a-big"
        )
        got = visitor.data_until(lambda d: d.get("client_id") == "a-big")
        assert [d["seq"] for d in got] == [big.seq] and got[0]["body"] == "é" * 4000


def _listens() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"
