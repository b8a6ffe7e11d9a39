"""The chat API: chats and transcripts, an agent's messages and offers, availability, and the
settings; who sees what, and the refusals."""

from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.chat import services
from casedesk.chat.models import AgentChatStatus, Chat, ChatOffer, ChatSettings, OfferState
from tests.api_checks import conforms, error
from tests.chat.test_agent_views import active, chat_on, offered, online, start
from tests.conftest import NOW, Api, Clock

__all__ = ["chat_on"]  # the fixture, which the tests ask for by name


def test_an_agent_lists_their_own_chats(
    tenant, agent_in_support, agent2, agent_api, agent2_api, chat_on, clock: Clock
) -> None:
    first = active(tenant, agent_in_support)
    second = active(tenant, agent_in_support, email="walt@c.test", ip="203.0.113.10")
    body = conforms(agent_api.get("/chats"), "GET", "/chats")
    assert [c["id"] for c in body["items"]] == sorted(
        [str(first.public_id), str(second.public_id)],
        key=lambda i: -Chat.objects.get(public_id=i).pk,
    )
    item = body["items"][0]
    assert item["state"] == "active" and item["agent_id"] == agent_in_support.user_id
    assert item["case_number"].startswith("CS-") and item["visitor_email"]
    assert conforms(agent2_api.get("/chats"), "GET", "/chats")["items"] == []


def test_a_manager_lists_every_chat_or_their_own(
    tenant, agent_in_support, manager_api, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    start(tenant, email="waits@c.test", ip="203.0.113.11")  # offered, not answered yet
    every = conforms(manager_api.get("/chats"), "GET", "/chats")["items"]
    assert len(every) == 2 and str(chat.public_id) in {c["id"] for c in every}
    assert [
        c["state"]
        for c in conforms(manager_api.get("/chats", state="waiting"), "GET", "/chats")["items"]
    ] == ["waiting"]
    assert manager_api.get("/chats", mine="true").json()["items"] == []


def test_the_list_pages_with_a_cursor(tenant, manager_api, chat_on, clock: Clock) -> None:
    for n in range(3):
        start(tenant, email=f"v{n}@c.test", ip=f"203.0.113.{20 + n}")
    page = conforms(manager_api.get("/chats", limit=2), "GET", "/chats")
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = conforms(manager_api.get("/chats", limit=2, cursor=page["next_cursor"]), "GET", "/chats")
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = {c["id"] for c in page["items"] + rest["items"]}
    assert len(ids) == 3
    error(manager_api.get("/chats", cursor="not-a-cursor!"), 422, field="cursor")
    error(manager_api.get("/chats", state="sleeping"), 422)


def test_a_chat_with_its_transcript(
    tenant, agent_in_support, agent_api, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    services.visitor_message(chat=chat, body="Hello <b>there</b>", now=NOW)
    path = f"/chats/{chat.public_id}"
    body = conforms(agent_api.get(path), "GET", "/chats/{public_id}")
    assert body["id"] == str(chat.public_id)
    assert [e["seq"] for e in body["events"]] == list(range(1, body["last_seq"] + 1))
    assert body["events"][0]["body"] == "My invoice total looks wrong"
    assert body["events"][-1]["body"] == "Hello there"
    after = conforms(agent_api.get(path, after=body["last_seq"] - 1), "GET", "/chats/{public_id}")
    assert [e["body"] for e in after["events"]] == ["Hello there"]


def test_the_agent_writes_and_ends_through_the_api(
    tenant, agent_in_support, agent_api, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    path = f"/chats/{chat.public_id}/messages"
    sent = agent_api.post(path, {"body": "On it <i>now</i>", "client_id": "api-1"})
    event = conforms(sent, "POST", "/chats/{public_id}/messages")
    assert sent.status_code == 201 and event["body"] == "On it now"
    again = agent_api.post(path, {"body": "On it <i>now</i>", "client_id": "api-1"})
    assert again.status_code == 201 and again.json()["seq"] == event["seq"]
    assert Case.objects.get(pk=chat.case_id).first_response_at is not None
    error(agent_api.post(path, {"body": "   "}), 422, field="body")
    error(agent_api.post(path, {"body": "hi", "client_id": "has space"}), 422, field="client_id")
    ended = conforms(
        agent_api.post(f"/chats/{chat.public_id}/end"), "POST", "/chats/{public_id}/end"
    )
    assert ended["state"] == "ended" and ended["ended_by"] == "agent"
    error(agent_api.post(path, {"body": "Anyone?"}), 409)


@pytest.mark.parametrize(
    "who, status", [("agent2_api", 404), ("manager_api", 403), ("outsider_api", 404)]
)
def test_only_the_chats_agent_writes_or_ends(
    tenant, agent_in_support, agent2, manager, outsider, who, status, request, chat_on, clock: Clock
) -> None:
    api: Api = request.getfixturevalue(who)
    chat = active(tenant, agent_in_support)
    before = chat.last_seq
    error(api.post(f"/chats/{chat.public_id}/messages", {"body": "Hijack"}), status)
    error(api.post(f"/chats/{chat.public_id}/end"), status)
    chat.refresh_from_db()
    assert chat.last_seq == before and chat.state == "active"


def test_reading_a_chat(
    tenant, agent_in_support, agent2_api, manager_api, outsider_api, chat_on, clock: Clock
) -> None:
    chat = active(tenant, agent_in_support)
    path = f"/chats/{chat.public_id}"
    assert manager_api.get(path).status_code == 200
    for api in (agent2_api, outsider_api):
        error(api.get(path), 404)
    error(manager_api.get("/chats/not-a-uuid"), 404)


def test_offers_through_the_api(
    tenant, agent_in_support, agent_api, agent2_api, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support)
    body = conforms(agent_api.get("/chat/offers"), "GET", "/chat/offers")
    (item,) = body["items"]
    assert item["id"] == offer.pk and item["question"] == "My invoice total looks wrong"
    assert item["chat_id"] == str(offer.chat.public_id)
    assert agent2_api.get("/chat/offers").json()["items"] == []
    error(agent2_api.post(f"/chat/offers/{offer.pk}/accept"), 404)
    accepted = agent_api.post(f"/chat/offers/{offer.pk}/accept")
    chat = conforms(accepted, "POST", "/chat/offers/{offer_id}/accept")
    assert chat["state"] == "active" and chat["agent_name"] == agent_in_support.user.display_name
    error(agent_api.post(f"/chat/offers/{offer.pk}/accept"), 409)
    error(agent_api.post(f"/chat/offers/{offer.pk}/decline"), 409)


def test_declining_and_expiry_through_the_api(
    tenant, agent_in_support, agent_api, chat_on, clock: Clock
) -> None:
    offer = offered(tenant, agent_in_support)
    response = agent_api.post(f"/chat/offers/{offer.pk}/decline")
    assert response.status_code == 204
    offer.refresh_from_db()
    assert offer.state == OfferState.DECLINED
    late = offered(tenant, agent_in_support, email="late@c.test", ip="203.0.113.30")
    clock.advance(seconds=31)
    error(agent_api.post(f"/chat/offers/{late.pk}/accept"), 409, mentions=("expired",))
    # Listing the offers expires those nobody answered in time.
    assert agent_api.get("/chat/offers").json()["items"] == []
    assert ChatOffer.objects.get(pk=late.pk).state == OfferState.EXPIRED


def test_the_agents_availability(tenant, agent, agent_api, chat_on, clock: Clock) -> None:
    body = conforms(agent_api.put("/chat/status", {"available": True}), "PUT", "/chat/status")
    assert body == {
        "available": True,
        "seen_at": "2026-11-23T09:00:00Z",
        "active_chats": 0,
        "chats_per_agent": 3,
    }
    assert AgentChatStatus.objects.get(user=agent.user).available
    # Asking for offers keeps the agent online.
    clock.advance(seconds=40)
    assert agent_api.get("/chat/offers").status_code == 200
    assert AgentChatStatus.objects.get(user=agent.user).seen_at == clock.now
    body = conforms(agent_api.put("/chat/status", {"available": False}), "PUT", "/chat/status")
    assert body["available"] is False
    error(agent_api.put("/chat/status", {"available": "maybe"}), 422)


def test_settings_read_by_managers_changed_by_admins(
    tenant, admin_api, manager_api, agent_api, clock: Clock
) -> None:
    body = conforms(manager_api.get("/chat/settings"), "GET", "/chat/settings")
    assert body["enabled"] is False and body["offer_timeout_seconds"] == 30
    assert body["widget_script_url"].endswith("/chat/acme/widget.js")
    error(agent_api.get("/chat/settings"), 403)
    error(manager_api.patch("/chat/settings", {"enabled": True}), 403)
    changed = admin_api.patch(
        "/chat/settings",
        {
            "enabled": True,
            "allowed_origins": ["https://www.acme.test/", "http://localhost:8080"],
            "offer_timeout_seconds": 45,
            "chats_per_agent": 5,
            "bot_enabled": True,
            "bot_min_score": 70,
            "greeting": "Hello <b>there</b>",
        },
    )
    body = conforms(changed, "PATCH", "/chat/settings")
    assert body["allowed_origins"] == ["https://www.acme.test", "http://localhost:8080"]
    assert body["greeting"] == "Hello there" and body["chats_per_agent"] == 5
    config = ChatSettings.objects.get(tenant=tenant)
    assert config.enabled and config.offer_timeout_seconds == 45 and config.bot_min_score == 70


@pytest.mark.parametrize(
    "change, field",
    [
        ({"allowed_origins": ["http://www.acme.test"]}, "allowed_origins"),
        ({"allowed_origins": ["https://www.acme.test/path"]}, "allowed_origins"),
        ({"allowed_origins": ["not a site"]}, "allowed_origins"),
        ({"offer_timeout_seconds": 9}, "offer_timeout_seconds"),
        ({"offer_timeout_seconds": 301}, "offer_timeout_seconds"),
        ({"chats_per_agent": 0}, "chats_per_agent"),
        ({"chats_per_agent": 21}, "chats_per_agent"),
        ({"bot_min_score": 101}, "bot_min_score"),
        ({"greeting": "x" * 301}, "greeting"),
        ({"enabled": None}, "enabled"),
    ],
)
def test_bad_settings_change_nothing(
    tenant, admin_api, change: dict[str, Any], field: str, clock: Clock
) -> None:
    before = admin_api.get("/chat/settings").json()
    error(admin_api.patch("/chat/settings", {"enabled": True, **change}), 422, field=field)
    assert admin_api.get("/chat/settings").json() == before


def test_another_tenants_chat_and_offer_are_not_found(
    tenant, other_tenant, outsider, agent_in_support, admin_api, clock: Clock
) -> None:
    services.chat_settings_update(
        tenant=other_tenant, actor=None, now=NOW, changes={"enabled": True}
    )
    online(other_tenant, outsider)
    theirs = start(other_tenant)
    offer = ChatOffer.objects.get(chat=theirs)
    assert offer.agent_id == outsider.user_id
    error(admin_api.get(f"/chats/{theirs.public_id}"), 404)
    error(admin_api.post(f"/chats/{theirs.public_id}/messages", {"body": "x"}), 404)
    error(admin_api.post(f"/chats/{theirs.public_id}/end"), 404)
    error(admin_api.post(f"/chat/offers/{offer.pk}/accept"), 404)
    error(admin_api.post(f"/chat/offers/{offer.pk}/decline"), 404)
    assert admin_api.get("/chats").json()["items"] == []
    offer.refresh_from_db()
    assert offer.state == OfferState.PENDING
