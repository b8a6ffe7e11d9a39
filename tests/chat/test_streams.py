"""The live streams' wire format, and their one-shot answers when a request reaches the WSGI
server (the polling fallback): replay after Last-Event-ID, tokens refused for another chat,
the end of a chat, the agent's snapshot."""

import json
from typing import Any

import pytest

from casedesk.chat import services, streams
from casedesk.chat.streams import (
    SeqCursor,
    agent_hears,
    closes_chat,
    parse_after,
    sse,
    visitor_hears,
)
from casedesk.chat.tokens import agent_stream_token, chat_token
from casedesk.core.errors import Invalid
from casedesk.tenancy.models import Membership
from tests.chat.livekit import active_chat, chat_on, start_chat
from tests.conftest import NOW

# --- the wire format ---------------------------------------------------------------------------


def test_an_event_is_one_data_line_with_its_number_as_id() -> None:
    frame = sse({"seq": 4, "body": "two\nlines é"}, event_id=4)
    assert frame == 'id: 4\ndata: {"seq":4,"body":"two\\nlines é"}\n\n'.encode()
    assert sse({"kind": "typing"}) == b'data: {"kind":"typing"}\n\n'


def test_the_last_event_id_header_wins_over_the_url() -> None:
    assert parse_after("7", "3") == 7
    assert parse_after(None, "3") == 3
    assert parse_after("", " 3 ") == 3
    assert parse_after(None, None) == 0
    for bad in ("-1", "x", "1.5", "99999999999"):
        with pytest.raises(Invalid):
            parse_after(bad, None)


def test_a_state_event_into_an_end_state_closes_the_stream() -> None:
    assert closes_chat({"kind": "state", "data": {"state": "ended"}})
    assert closes_chat({"kind": "state", "data": {"state": "missed"}})
    assert not closes_chat({"kind": "state", "data": {"state": "active"}})
    assert not closes_chat({"kind": "message", "data": {"state": "ended"}})


def test_each_side_hears_the_other_sides_signals_only() -> None:
    agent_typing = {"kind": "typing", "side": "agent", "typing": True}
    visitor_typing = {"kind": "typing", "side": "visitor", "typing": True}
    offer = {"kind": "offer", "to": "agents", "offer": {}}
    assert visitor_hears(agent_typing) and not visitor_hears(visitor_typing)
    assert not visitor_hears(offer) and not visitor_hears({"kind": "offer_gone", "offer_id": 1})
    assert visitor_hears({"kind": "read", "side": "agent", "seq": 3})
    assert agent_hears(visitor_typing) and agent_hears(offer) and not agent_hears(agent_typing)


def test_the_cursor_sends_the_next_skips_the_old_and_finds_gaps() -> None:
    cursor = SeqCursor(3)
    assert [cursor.place(s) for s in (2, 3, 4, 6)] == ["skip", "skip", "send", "gap"]


# --- the one-shot answer (WSGI) ------------------------------------------------------------------


def _frames(body: bytes) -> list[dict[str, Any]]:
    """The SSE messages of a body: {"id", "data", "retry"} per message."""
    out = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        message: dict[str, Any] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            if name == "data":
                message["data"] = json.loads(value)
            elif name in ("id", "retry"):
                message[name] = int(value)
        out.append(message)
    return out


def _stream(client: Any, chat: Any, token: str | None = None, **params: Any) -> Any:
    query = {"token": chat_token(chat) if token is None else token, **params}
    return client.get(
        f"/live/chat/{chat.public_id}/stream", query, headers=params.pop("headers", {})
    )


@pytest.fixture
def chatting(tenant, agent):
    chat = active_chat(tenant, agent)
    for n in range(3):
        services.agent_message(
            chat=chat, user=agent.user, body=f"Answer {n}", now=NOW, client_id=f"a-{n}"
        )
    chat.refresh_from_db()
    return chat


def test_the_stream_replays_what_came_after_the_last_event_id(client, chatting) -> None:
    response = client.get(
        f"/live/chat/{chatting.public_id}/stream",
        {"token": chat_token(chatting), "after": "1"},
        headers={"Last-Event-ID": str(chatting.last_seq - 2)},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"].startswith("no-cache")
    frames = _frames(response.content)
    assert frames[0] == {"retry": streams.POLL_RETRY_MS}
    assert [f["id"] for f in frames[1:]] == [chatting.last_seq - 1, chatting.last_seq]
    assert [f["data"]["body"] for f in frames[1:]] == ["Answer 1", "Answer 2"]
    assert all(f["data"]["seq"] == f["id"] for f in frames[1:])
    everything = _frames(_stream(client, chatting).content)
    assert [f["id"] for f in everything[1:]] == list(range(1, chatting.last_seq + 1))


def test_the_stream_tells_the_services_the_visitor_is_there(client, chatting, clock) -> None:
    clock.advance(minutes=5)
    assert _stream(client, chatting, after=chatting.last_seq).status_code == 200
    chatting.refresh_from_db()
    assert chatting.visitor_seen_at == clock.now


def test_a_token_of_another_chat_or_none_is_refused(client, tenant, chatting) -> None:
    other = start_chat(tenant, email="otto@customer.test", ip="203.0.113.10")
    for token in (chat_token(other), "", "forged.token"):
        response = _stream(client, chatting, token=token)
        assert response.status_code == 403, token
        assert "detail" in response.json()
    response = client.get(
        f"/live/chat/{chatting.public_id}/stream", headers={"X-Chat-Token": chat_token(chatting)}
    )
    assert response.status_code == 200
    assert client.get(
        "/live/chat/not-a-chat/stream", {"token": chat_token(chatting)}
    ).status_code in (403, 404)


def test_a_bad_last_event_id_is_refused(client, chatting) -> None:
    response = _stream(client, chatting, headers={"Last-Event-ID": "soon"})
    assert response.status_code == 422


def test_an_ended_chat_sends_its_end_then_stops_the_browser(client, chatting, agent) -> None:
    services.chat_end(chat=chatting, by="agent", user=agent.user, now=NOW)
    chatting.refresh_from_db()
    frames = _frames(_stream(client, chatting, after=chatting.last_seq - 1).content)
    assert frames[-1]["data"]["data"]["state"] == "ended"
    response = _stream(client, chatting, after=chatting.last_seq)
    assert response.status_code == 204  # EventSource stops reconnecting


def test_only_get_and_the_preflight_are_answered(client, chatting) -> None:
    url = f"/live/chat/{chatting.public_id}/stream"
    assert client.post(url).status_code == 405
    preflight = client.options(url)
    assert preflight.status_code == 204
    assert "Last-Event-ID" in preflight["Access-Control-Allow-Headers"]


def test_the_agent_stream_answers_a_snapshot_of_offers_and_active_chats(
    client, tenant, agent, agent2, chatting, clock
) -> None:
    services.agent_status_set(tenant=tenant, user=agent2.user, available=True, now=NOW)
    services.agent_status_set(tenant=tenant, user=agent.user, available=False, now=NOW)
    waiting = start_chat(tenant, email="wes@customer.test", ip="203.0.113.11")
    offer = waiting.offers.get()
    assert offer.agent_id == agent2.user_id
    response = client.get("/live/agent/stream", {"token": agent_stream_token(agent)})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    frames = _frames(response.content)
    assert frames[0] == {"retry": streams.POLL_RETRY_MS}
    snapshot = frames[1]["data"]
    assert snapshot["kind"] == "snapshot" and snapshot["offers"] == []
    assert [(c["id"], c["last_seq"]) for c in snapshot["chats"]] == [
        (str(chatting.public_id), chatting.last_seq)
    ]
    theirs = _frames(
        client.get("/live/agent/stream", {"token": agent_stream_token(agent2)}).content
    )[1]["data"]
    assert [o["id"] for o in theirs["offers"]] == [offer.pk] and theirs["chats"] == []


def test_the_agent_stream_refuses_a_bad_token_or_a_former_member(
    client, agent, other_tenant
) -> None:
    assert client.get("/live/agent/stream", {"token": "forged"}).status_code == 403
    assert client.get("/live/agent/stream").status_code == 403
    Membership.objects.filter(pk=agent.pk).update(is_active=False)
    assert client.get("/live/agent/stream", {"token": agent_stream_token(agent)}).status_code == 403


def test_a_waiting_chat_streams_to_its_visitor_too(client, tenant) -> None:
    chat_on(tenant)
    chat = start_chat(tenant)  # nobody online: missed, its end in the replay
    frames = _frames(_stream(client, chat).content)
    assert frames[-1]["data"]["data"]["state"] == "missed"
