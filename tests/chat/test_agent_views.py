"""The agents' side of chat in the console: the dock every page loads, the offers it shows and
answers, the messages, typing, read state and end it posts, its poll, and who may do what."""

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case, Note
from casedesk.chat import selectors, services
from casedesk.chat.models import AgentChatStatus, Chat, ChatOffer, ChatState, OfferState
from casedesk.chat.services import VisitorStart
from casedesk.tenancy.models import Membership, Tenant
from tests.conftest import NOW, Clock, login

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def chat_on(tenant: Tenant) -> Any:
    return services.chat_settings_update(
        tenant=tenant,
        actor=None,
        now=NOW,
        changes={"enabled": True, "allowed_origins": ["https://www.acme.test"]},
    )


def online(tenant: Tenant, *memberships: Membership) -> None:
    for membership in memberships:
        services.agent_status_set(tenant=tenant, user=membership.user, available=True, now=NOW)


def start(
    tenant: Tenant,
    message: str = "My invoice total looks wrong",
    *,
    now: datetime = NOW,
    **values: Any,
) -> Chat:
    data = {
        "name": "Vera Visitor",
        "email": "vera@customer.test",
        "message": message,
        "ip": "203.0.113.9",
        **values,
    }
    return services.chat_start(tenant=tenant, visitor=VisitorStart(**data), now=now)


def offered(tenant: Tenant, membership: Membership, **values: Any) -> ChatOffer:
    """A new chat, offered to `membership` (who is switched on for chat)."""
    online(tenant, membership)
    chat = start(tenant, **values)
    return ChatOffer.objects.get(chat=chat, state=OfferState.PENDING, agent=membership.user)


def active(tenant: Tenant, membership: Membership, **values: Any) -> Chat:
    offer = offered(tenant, membership, **values)
    return services.offer_accept(offer=offer, user=membership.user, now=NOW)


def dock_html(membership: Membership, **params: str) -> str:
    response = login(membership).get("/chats/dock", params)
    assert response.status_code == 200
    return response.content.decode()


# --- the page and the dock -----------------------------------------------------------------


def test_every_console_page_carries_an_empty_dock_that_loads_itself(agent) -> None:
    html = login(agent).get("/inbox/cases").content.decode()
    dock = re.search(r'<aside id="chat-dock"[^>]*>(.*?)</aside>', html, re.S)
    assert dock is not None and dock.group(1) == ""
    assert 'data-dock-src="/chats/dock"' in dock.group(0)
    assert "/static/chat/dock.js" in html and "/static/chat/dock.css" in html


def test_the_page_pays_no_query_for_the_dock(agent_in_support, tenant, chat_on) -> None:
    active(tenant, agent_in_support)
    client = login(agent_in_support)
    client.get("/inbox/cases")
    with CaptureQueriesContext(connection) as page:
        assert client.get("/inbox/cases").status_code == 200
    assert not [q["sql"] for q in page.captured_queries if '"chat_' in q["sql"]]


def test_the_dock_is_empty_while_chat_is_off(agent) -> None:
    assert "data-dock" not in dock_html(agent)


def test_the_dock_offers_the_availability_switch(tenant, agent, chat_on) -> None:
    html = dock_html(agent)
    assert "data-dock " in html and 'data-available="0"' in html
    switch = re.search(r"<button[^>]*data-chat-available[^>]*>", html)
    assert switch is not None and 'aria-checked="false"' in switch.group(0)
    assert 'name="available" value="on"' in html
    assert "Available for chat" in html


def test_switching_availability_on_and_off(tenant, agent, chat_on, clock: Clock) -> None:
    client = login(agent)
    response = client.post("/chats/status", {"available": "on"}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-available="1"' in html and 'aria-checked="true"' in html
    status = AgentChatStatus.objects.get(tenant=tenant, user=agent.user)
    assert status.available and status.seen_at == NOW
    # Without htmx: back to the page, with a message.
    response = client.post("/chats/status", {"available": "off", "next": "/cases"})
    assert response.status_code == 302 and response["Location"] == "/cases"
    assert not AgentChatStatus.objects.get(tenant=tenant, user=agent.user).available


def test_an_offer_shows_who_what_and_the_seconds_left(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support, message="Refund <b>please</b> & quickly")
    clock.advance(seconds=12)
    html = dock_html(agent_in_support)
    card = re.search(r'<article class="offer" data-offer="(\d+)".*?</article>', html, re.S)
    assert card is not None and card.group(1) == str(offer.pk)
    assert "Vera Visitor" in card.group(0)
    assert "Refund please &amp; quickly" in card.group(0)  # stored plain, shown escaped
    assert re.search(r"data-countdown[^>]*>18 s<", card.group(0))
    assert f'data-offer-accept="{offer.pk}"' in card.group(0)
    assert f'data-offer-decline="{offer.pk}"' in card.group(0)
    # The offers alone, for the dock to refresh them.
    part = dock_html(agent_in_support, part="offers")
    assert part.lstrip().startswith('<section class="dock-offers"')
    assert f'data-offer="{offer.pk}"' in part and "data-dock-tabs" not in part


def test_an_offer_for_someone_else_is_not_shown(
    tenant, agent_in_support, agent2, chat_on, clock: Clock
) -> None:
    offered(tenant, agent_in_support)
    online(tenant, agent2)
    assert "data-offer=" not in dock_html(agent2)


def test_accepting_on_the_page_opens_the_chat(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support)
    response = login(agent_in_support).post(f"/chats/offers/{offer.pk}/accept", headers=HTMX)
    assert response.status_code == 200
    chat = Chat.objects.get(pk=offer.chat_id)
    assert chat.state == ChatState.ACTIVE and chat.agent_id == agent_in_support.user_id
    html = response.content.decode()
    assert f'data-open-chat="{chat.public_id}"' in html
    assert f'data-chat="{chat.public_id}"' in html
    assert "data-offer=" not in html
    case = Case.objects.get(pk=chat.case_id)
    assert f'href="/cases/{case.display_number}"' in html


def test_accepting_an_expired_offer_is_refused(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support)
    clock.advance(seconds=31)
    client = login(agent_in_support)
    response = client.post(f"/chats/offers/{offer.pk}/accept", headers=HTMX)
    assert response.status_code == 409 and b"expired" in response.content
    # Without htmx: back with the reason.
    response = client.post(f"/chats/offers/{offer.pk}/accept", {"next": "/cases"})
    assert response.status_code == 302 and response["Location"] == "/cases"
    assert Chat.objects.get(pk=offer.chat_id).state != ChatState.ACTIVE


def test_declining_on_the_page_passes_the_chat_on(
    tenant, support_queue_with_both_agents, agent, agent2, chat_on, clock: Clock
) -> None:
    online(tenant, agent, agent2)
    offer = ChatOffer.objects.get(chat=start(tenant))
    first, other = (agent, agent2) if offer.agent_id == agent.user_id else (agent2, agent)
    response = login(first).post(f"/chats/offers/{offer.pk}/decline", headers=HTMX)
    assert response.status_code == 200
    offer.refresh_from_db()
    assert offer.state == OfferState.DECLINED
    assert "data-offer=" not in response.content.decode()
    (second,) = ChatOffer.objects.filter(chat=offer.chat, state=OfferState.PENDING)
    assert second.agent_id == other.user_id
    assert f'data-offer="{second.pk}"' in dock_html(other)


def test_nobody_answers_another_agents_offer(
    tenant, agent_in_support, agent2, outsider, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support)
    for membership in (agent2, outsider):
        for action in ("accept", "decline"):
            response = login(membership).post(f"/chats/offers/{offer.pk}/{action}", headers=HTMX)
            assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.state == OfferState.PENDING


def test_my_active_chats_are_in_the_dock_several_at_once(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    first = active(tenant, agent_in_support, message="<script>alert(1)</script>Help")
    second = active(
        tenant, agent_in_support, name="Walt Visitor", email="walt@c.test", ip="203.0.113.10"
    )
    services.visitor_message(chat=first, body="Are you <i>there</i>? 1 < 2", now=NOW)
    html = dock_html(agent_in_support)
    for chat in (first, second):
        assert f'<section class="chat-window" id="chat-{chat.public_id}"' in html
    window = re.search(
        rf'<section class="chat-window" id="chat-{first.public_id}".*?</section>', html, re.S
    )
    assert window is not None
    text = window.group(0)
    assert "<script>alert" not in html and "alert(1)" not in text  # dropped when stored
    assert "Are you there? 1 &lt; 2" in text
    assert 'data-state="active"' in text and 'data-messages-url="/chats/' in text
    assert "Walt Visitor" in html and "data-dock-count>2<" in html


def test_a_window_alone_for_a_chat_that_became_mine(
    tenant, agent_in_support, agent2, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    response = login(agent_in_support).get(f"/chats/{chat.public_id}/window")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section class="chat-window" id="chat-{chat.public_id}"')
    assert login(agent2).get(f"/chats/{chat.public_id}/window").status_code == 404


# --- what the composer posts ---------------------------------------------------------------


def post_json(client: Any, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_agent_sends_a_message_from_the_dock(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    client = login(agent_in_support)
    path = f"/chats/{chat.public_id}/messages"
    response = post_json(client, path, {"body": "Hello <b>Vera</b>", "client_id": "c-1"})
    assert response.status_code == 201
    event = response.json()
    assert event["body"] == "Hello Vera" and event["author"] == "agent"
    assert event["client_id"] == "c-1" and event["seq"] == chat.last_seq + 1
    # Sent again after a dropped connection: stored once.
    again = post_json(client, path, {"body": "Hello <b>Vera</b>", "client_id": "c-1"})
    assert again.status_code == 201 and again.json()["seq"] == event["seq"]
    assert Note.objects.filter(case_id=chat.case_id, is_public=True).count() == 1
    assert Case.objects.get(pk=chat.case_id).first_response_at == NOW


def test_the_agent_sends_a_file(tenant, agent_in_support, chat_on, clock: Clock) -> None:
    chat = active(tenant, agent_in_support)
    client = login(agent_in_support)
    response = client.post(
        f"/chats/{chat.public_id}/messages",
        {
            "body": "The screenshot",
            "client_id": "f-1",
            "file": SimpleUploadedFile("screen.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["data"]["attachment"]
    assert attachment["name"] == "screen.png" and attachment["size"] == len(PNG)
    download = client.get(f"/chats/{chat.public_id}/files/{attachment['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    assert f"/chats/{chat.public_id}/files/{attachment['id']}" in dock_html(agent_in_support)


def test_bad_messages_are_refused_as_json(tenant, agent_in_support, chat_on, clock: Clock) -> None:
    chat = active(tenant, agent_in_support)
    client = login(agent_in_support)
    path = f"/chats/{chat.public_id}/messages"
    for body, field in (
        ({"body": "   "}, "body"),
        ({"body": "x" * 4001}, "body"),
        ({"body": "hi", "client_id": "no spaces"}, "client_id"),
        ({"body": 5}, "body"),
    ):
        response = post_json(client, path, body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field
    response = client.post(path, b"{nope", content_type="application/json")
    assert response.status_code == 422 and "detail" in response.json()


def test_only_the_chats_agent_writes_in_it(
    tenant, agent_in_support, agent2, manager, outsider, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    before = chat.last_seq
    for membership, status in ((agent2, 404), (outsider, 404), (manager, 403)):
        client = login(membership)
        for path, body in (
            ("messages", {"body": "Hijack"}),
            ("typing", {"typing": True}),
            ("read", {"seq": 1}),
            ("end", {}),
        ):
            response = post_json(client, f"/chats/{chat.public_id}/{path}", body)
            assert response.status_code == status, (membership, path)
            assert response.json()["detail"]
        assert client.get(f"/chats/{chat.public_id}/files/1").status_code == 404
    chat.refresh_from_db()
    assert chat.last_seq == before and chat.state == ChatState.ACTIVE


def test_typing_read_and_end(tenant, agent_in_support, chat_on, clock: Clock) -> None:
    chat = active(tenant, agent_in_support)
    services.visitor_message(chat=chat, body="Hello?", now=NOW)
    chat.refresh_from_db()
    client = login(agent_in_support)
    base = f"/chats/{chat.public_id}"
    assert post_json(client, f"{base}/typing", {"typing": True}).status_code == 204
    chat.refresh_from_db()
    assert chat.agent_typing_at == NOW
    assert post_json(client, f"{base}/typing", {"typing": "yes"}).status_code == 422
    assert post_json(client, f"{base}/read", {"seq": chat.last_seq}).status_code == 204
    chat.refresh_from_db()
    assert chat.agent_read_seq == chat.last_seq
    assert post_json(client, f"{base}/read", {"seq": -1}).status_code == 422
    response = post_json(client, f"{base}/end", {})
    assert response.status_code == 200 and response.json()["state"] == "ended"
    chat.refresh_from_db()
    assert chat.state == ChatState.ENDED and chat.ended_by == "agent"
    # An ended chat takes no more messages.
    response = post_json(client, f"{base}/messages", {"body": "Still there?"})
    assert response.status_code == 409
    assert f'data-chat="{chat.public_id}"' not in dock_html(agent_in_support)


# --- the poll --------------------------------------------------------------------------------


def test_the_poll_is_the_heartbeat_and_brings_offers(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    online(tenant, agent_in_support)
    clock.advance(seconds=40)
    response = login(agent_in_support).get("/chats/poll")
    assert response.status_code == 200
    assert response.json() == {"offers": [], "chats": [], "events": []}
    assert AgentChatStatus.objects.get(user=agent_in_support.user).seen_at == clock.now
    chat = start(tenant, now=clock.now)  # offered to the agent, heard from just now
    answer = login(agent_in_support).get("/chats/poll").json()
    (offer,) = answer["offers"]
    assert offer["chat_id"] == str(chat.public_id)
    assert offer["question"] == "My invoice total looks wrong"


def test_the_poll_expires_offers_nobody_answered(
    tenant, agent_in_support, agent2, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support)
    clock.advance(seconds=31)
    answer = login(agent_in_support).get("/chats/poll").json()
    assert answer["offers"] == []
    offer.refresh_from_db()
    assert offer.state == OfferState.EXPIRED


def test_the_poll_brings_the_events_after_the_last_one_shown(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    seen = chat.last_seq
    services.visitor_message(chat=chat, body="one", now=NOW, client_id="v1")
    services.visitor_message(chat=chat, body="two", now=NOW, client_id="v2")
    Chat.objects.filter(pk=chat.pk).update(visitor_typing_at=NOW)
    client = login(agent_in_support)
    answer = client.get("/chats/poll", {"chats": f"{chat.public_id}:{seen}"}).json()
    assert [(e["chat"], e["seq"], e["body"]) for e in answer["events"]] == [
        (str(chat.public_id), seen + 1, "one"),
        (str(chat.public_id), seen + 2, "two"),
    ]
    (shown,) = answer["chats"]
    assert shown["id"] == str(chat.public_id) and shown["last_seq"] == seen + 2
    assert shown["visitor_typing"] is True and shown["state"] == "active"
    # Up to date: no events; a chat the dock does not show yet is listed, without events.
    assert (
        client.get("/chats/poll", {"chats": f"{chat.public_id}:{seen + 2}"}).json()["events"] == []
    )
    assert client.get("/chats/poll").json()["events"] == []


def test_the_poll_tells_the_end_of_a_chat_the_dock_still_shows(
    tenant, agent_in_support, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    seen = chat.last_seq
    services.chat_end(chat=chat, by="visitor", now=NOW)
    answer = (
        login(agent_in_support).get("/chats/poll", {"chats": f"{chat.public_id}:{seen}"}).json()
    )
    assert answer["chats"][0]["state"] == "ended"
    assert answer["events"][-1]["data"]["state"] == "ended"


def test_the_poll_reads_nothing_of_other_peoples_chats(
    tenant, agent_in_support, agent2, outsider, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    for membership in (agent2, outsider):
        answer = login(membership).get("/chats/poll", {"chats": f"{chat.public_id}:0,junk:1"})
        assert answer.status_code == 200
        assert answer.json() == {"offers": [], "chats": [], "events": []}


def test_the_dock_gives_the_live_stream_its_token(tenant, agent, chat_on, settings) -> None:
    settings.CASEDESK_LIVE_URL = "https://live.acme.test"
    html = dock_html(agent)
    stream = re.search(r'data-stream-url="([^"]+)"', html)
    assert stream is not None
    assert stream.group(1).startswith("https://live.acme.test/live/agent/stream?token=")
    assert 'data-poll-url="/chats/poll"' in html


def test_a_manager_reads_a_chat_but_does_not_take_part(
    tenant, agent_in_support, manager, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    assert login(manager).get(f"/chats/{chat.public_id}/window").status_code == 200
    assert selectors.active_chats_of(tenant, manager.user_id) == []
