"""`chat.live`: what `publish` puts on the wire, how the hub hands it out, and (PostgreSQL)
that a notification arrives when the transaction commits and never when it rolls back, and
that the hub reconnects and tells every stream to catch up."""

import pytest
from django.db import connection, transaction

from casedesk.chat import live
from casedesk.chat.live import (
    PAYLOAD_MAX_BYTES,
    RESYNC,
    Hub,
    Notice,
    Subscriber,
    notify_payload,
    parse_payload,
    publish,
)
from tests.chat.livekit import active_chat, hub_thread
from tests.conftest import postgres_only

EVENT = {
    "seq": 7,
    "kind": "message",
    "author": "agent",
    "author_name": "Alice",
    "body": "Hello",
    "data": {},
    "created_at": "2026-11-23T09:00:00Z",
    "client_id": "c1",
}


def test_a_small_event_travels_in_the_notification() -> None:
    text = notify_payload(tenant_id=3, chat_id="abc", agent_ids=[5, 6], event=EVENT)
    notice = parse_payload(text)
    assert notice == Notice(tenant_id=3, chat_id="abc", agent_ids=(5, 6), event=EVENT)


def test_a_big_event_travels_as_its_number_only() -> None:
    big = {**EVENT, "body": "é" * 4000}  # 8,000 bytes in UTF-8
    text = notify_payload(tenant_id=3, chat_id="abc", agent_ids=[5], event=big)
    assert len(text.encode()) < PAYLOAD_MAX_BYTES
    notice = parse_payload(text)
    assert notice is not None and notice.event is None and notice.seq == 7


def test_ephemeral_signals_travel_beside_or_without_an_event() -> None:
    typing = {"kind": "typing", "side": "visitor", "typing": True}
    notice = parse_payload(notify_payload(tenant_id=1, chat_id="c", agent_ids=[], ephemeral=typing))
    assert notice is not None and notice.ephemeral == typing and notice.event is None
    huge = {"kind": "offer", "offer": {"question": "x" * 9000}}
    notice = parse_payload(notify_payload(tenant_id=1, chat_id="c", agent_ids=[2], ephemeral=huge))
    assert notice is not None and notice.ephemeral is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        '{"t": "x", "c": "a"}',
        '{"c": "a"}',
        '{"t": 1, "c": "a", "e": {"seq": "1"}}',
        "{",
    ],
)
def test_a_malformed_notification_is_ignored(text: str) -> None:
    assert parse_payload(text) is None


@pytest.mark.django_db
def test_publish_does_nothing_without_postgresql_or_without_anything_to_say() -> None:
    if connection.vendor == "postgresql":
        publish(tenant_id=1, chat_id="c", agent_ids=[])  # nothing to say: no NOTIFY
        return
    publish(tenant_id=1, chat_id="c", agent_ids=[], event=EVENT)  # SQLite: a no-op


def _hub() -> Hub:
    import asyncio

    return Hub(asyncio.new_event_loop(), postgres=False)


def test_the_hub_hands_a_notice_to_its_chat_and_to_its_agents_of_that_tenant() -> None:
    hub = _hub()
    visitor, other_chat = Subscriber(chat_id="c1"), Subscriber(chat_id="c2")
    hub.by_chat = {"c1": {visitor}, "c2": {other_chat}}
    alice, alice_elsewhere, bob = (
        Subscriber(agent=(1, 5)),
        Subscriber(agent=(2, 5)),
        Subscriber(agent=(1, 6)),
    )
    hub.by_agent = {(1, 5): {alice}, (2, 5): {alice_elsewhere}, (1, 6): {bob}}
    notice = Notice(tenant_id=1, chat_id="c1", agent_ids=(5,), event=EVENT)
    hub.dispatch(notice)
    assert visitor.queue.get_nowait() is notice and alice.queue.get_nowait() is notice
    assert other_chat.queue.empty() and alice_elsewhere.queue.empty() and bob.queue.empty()
    hub.unsubscribe(visitor)
    hub.unsubscribe(alice)
    assert hub.subscribers == 3 and "c1" not in hub.by_chat and (1, 5) not in hub.by_agent


def test_a_stream_that_falls_behind_is_told_to_read_the_database() -> None:
    subscriber = Subscriber(chat_id="c1")
    notice = Notice(tenant_id=1, chat_id="c1", agent_ids=(), event=EVENT)
    for _ in range(live.QUEUE_MAX + 3):
        subscriber.push(notice)
    assert subscriber.queue.qsize() <= 4
    items = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
    assert RESYNC in items


# --- PostgreSQL: LISTEN/NOTIFY for real ----------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_published_event_arrives_after_commit_and_never_after_a_rollback(tenant, agent) -> None:
    chat = active_chat(tenant, agent)
    public_id = str(chat.public_id)
    with hub_thread() as running:
        visitor = running.subscribe_chat(public_id)
        alice = running.subscribe_agent(tenant.pk, agent.user_id)
        running.wait_connected()
        with transaction.atomic():
            publish(
                tenant_id=tenant.pk,
                chat_id=public_id,
                agent_ids=[agent.user_id],
                event={**EVENT, "seq": 100},
            )
            # Inside the transaction: not delivered yet.
            assert running.next_notice(visitor, timeout=0.5) is None
        notice = running.next_notice(visitor)
        assert notice is not None and notice.event is not None and notice.event["seq"] == 100
        assert running.next_notice(alice) == notice

        class Undone(Exception):
            pass

        with pytest.raises(Undone), transaction.atomic():
            publish(
                tenant_id=tenant.pk,
                chat_id=public_id,
                agent_ids=[agent.user_id],
                event={**EVENT, "seq": 101},
            )
            raise Undone
        publish(
            tenant_id=tenant.pk,
            chat_id=public_id,
            agent_ids=[],
            ephemeral={"kind": "typing", "side": "agent", "typing": True},
        )
        notice = running.next_notice(visitor)
        assert notice is not None and notice.event is None
        assert notice.ephemeral == {"kind": "typing", "side": "agent", "typing": True}
        assert running.next_notice(alice, timeout=0.5) is None


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_agent_message_through_the_service_is_heard_with_its_event(tenant, agent) -> None:
    from casedesk.chat import services
    from tests.conftest import NOW

    chat = active_chat(tenant, agent)
    with hub_thread() as running:
        visitor = running.subscribe_chat(str(chat.public_id))
        running.wait_connected()
        written = services.agent_message(
            chat=chat, user=agent.user, body="On it!", now=NOW, client_id="m-1"
        )
        notice = running.next_notice(visitor)
        assert notice is not None and notice.event is not None
        assert notice.event["seq"] == written.seq and notice.event["body"] == "On it!"
        assert notice.event["client_id"] == "m-1" and notice.agent_ids == (agent.user_id,)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_hub_reconnects_and_tells_every_stream_to_catch_up(tenant, agent) -> None:
    with hub_thread() as running:
        visitor = running.subscribe_chat("c1")
        running.wait_connected()
        assert running.next(visitor) is RESYNC  # the first connect
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'casedesk live' AND pid <> "
                "pg_backend_pid() AND datname = current_database()"
            )
        running.wait_connected(connects=2, timeout=20)
        assert running.next(visitor) is RESYNC
        publish(
            tenant_id=tenant.pk,
            chat_id="c1",
            agent_ids=[],
            ephemeral={"kind": "typing", "side": "agent", "typing": False},
        )
        notice = running.next_notice(visitor)
        assert notice is not None
        assert notice.ephemeral == {"kind": "typing", "side": "agent", "typing": False}
