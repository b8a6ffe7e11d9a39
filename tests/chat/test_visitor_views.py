"""The visitor's side of chat over HTTP: the loader, the frame and its Content-Security-Policy,
and every JSON endpoint the frame calls — happy paths and refusals (wrong token 403, another
tenant 404, chat off 404, floods 429, bad input 422, a file too big 413)."""

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casedesk.chat import services
from casedesk.chat.models import Chat, ChatAttachment, ChatEvent, ChatState
from casedesk.chat.services import CHATS_PER_ADDRESS, MESSAGES_PER_WINDOW, VisitorStart
from casedesk.chat.tokens import chat_token
from casedesk.chat.visitor_views import (
    MIN_QUERY,
    frame_ancestors,
    is_typing,
    js_literal,
    live_origin,
    visitor_key_of,
)
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from tests.conftest import NOW, login

SITE = "https://www.acme.test"
VISITOR = "0123456789abcdef0123456789abcdef"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def chat_on(tenant):
    return services.chat_settings_update(
        tenant=tenant, actor=None, now=NOW, changes={"enabled": True, "allowed_origins": [SITE]}
    )


@pytest.fixture
def online(tenant, agent_in_support):
    services.agent_status_set(tenant=tenant, user=agent_in_support.user, available=True, now=NOW)
    return agent_in_support


@pytest.fixture
def article(tenant):
    made = article_create(
        tenant=tenant,
        author=None,
        title="Reset your password",
        body="Open **Settings**, choose *Forgot password* and follow the mail.",
        summary="How to reset a forgotten password.",
        visibility="public",
        now=NOW,
    )
    article_publish(article=made, actor=None, now=NOW)
    return made


def post(client: Client, path: str, body: Any = None, **extra: Any) -> Any:
    return client.post(
        path,
        data=json.dumps(body if body is not None else {}),
        content_type="application/json",
        **extra,
    )


def start(client: Client, slug: str = "acme", **values: Any) -> Any:
    body = {
        "name": "Vera Visitor",
        "email": "vera@customer.test",
        "message": "My invoice total looks wrong",
        "page_url": SITE + "/pricing",
        "client_id": "first-1",
        "visitor": VISITOR,
        **values,
    }
    return post(client, f"/chat/{slug}/start", body)


def started(client: Client) -> tuple[str, str]:
    answer = start(client)
    assert answer.status_code == 201, answer.content
    return answer.json()["chat"]["id"], answer.json()["token"]


def make_chat(tenant, email: str = "walt@customer.test") -> Chat:
    return services.chat_start(
        tenant=tenant,
        now=NOW,
        visitor=VisitorStart(
            name="Walt", email=email, message="Where is my parcel?", ip="198.51.100.4"
        ),
    )


def active_chat(tenant, membership) -> Chat:
    chat = make_chat(tenant)
    offer = chat.offers.get()
    return services.offer_accept(offer=offer, user=membership.user, now=NOW)


# --- pure parts -------------------------------------------------------------------------------


def test_frame_ancestors_are_this_site_and_the_listed_ones() -> None:
    assert frame_ancestors([SITE, "", 3]) == ["'self'", SITE]  # type: ignore[list-item]
    assert frame_ancestors([]) == ["'self'"]


def test_live_origin_only_for_another_server() -> None:
    assert live_origin("") is None
    assert live_origin("/live") is None
    assert live_origin("https://live.acme.test:8443/x") == "https://live.acme.test:8443"


def test_typing_holds_for_a_few_seconds() -> None:
    from datetime import timedelta

    assert is_typing(NOW - timedelta(seconds=2), NOW)
    assert not is_typing(NOW - timedelta(seconds=7), NOW)
    assert not is_typing(None, NOW)


def test_js_literal_cannot_close_a_script() -> None:
    text = js_literal({"name": "</script><script>alert(1)</script>\u2028"})
    assert "</script>" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>\u2028"}


# --- the loader and the frame -----------------------------------------------------------------


def test_the_loader_adds_the_frame_for_the_listed_sites(client, tenant, chat_on) -> None:
    answer = client.get("/chat/acme/widget.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Cross-Origin-Resource-Policy"] == "cross-origin"
    script = answer.content.decode()
    assert '"frame":"http://testserver/chat/acme/frame"' in script
    assert f'"allowed":["{SITE}"]' in script
    assert "innerHTML" not in script and 'setAttribute("style"' not in script


def test_the_loader_does_nothing_when_chat_is_off(client, tenant) -> None:
    answer = client.get("/chat/acme/widget.js")
    assert answer.status_code == 200
    assert answer.content.decode().strip() == "/* casedesk: chat is switched off. */"
    assert client.get("/chat/nobody/widget.js").status_code == 404


def test_the_frame_may_be_shown_only_by_the_listed_sites(client, tenant, chat_on) -> None:
    answer = client.get("/chat/acme/frame")
    assert answer.status_code == 200
    policy = answer["Content-Security-Policy"]
    ancestors = next(p for p in policy.split(";") if "frame-ancestors" in p).split()
    assert ancestors == ["frame-ancestors", "'self'", SITE]
    assert "https://evil.example" not in policy
    assert "X-Frame-Options" not in answer
    assert not answer.cookies  # a third-party frame gets no cookie, and needs none
    page = answer.content.decode()
    assert 'id="chat-config"' in page and "chat/widget.js" in page
    assert "Hi! How can we help you today?" in page


def test_a_site_removed_from_the_list_can_no_longer_frame_it(client, tenant, chat_on) -> None:
    services.chat_settings_update(
        tenant=tenant, actor=None, now=NOW, changes={"allowed_origins": ["https://help.acme.test"]}
    )
    policy = client.get("/chat/acme/frame")["Content-Security-Policy"]
    assert SITE not in policy and "https://help.acme.test" in policy


def test_the_frame_is_gone_when_chat_is_off(client, tenant) -> None:
    assert client.get("/chat/acme/frame").status_code == 404
    assert client.get("/chat/nobody/frame").status_code == 404


def test_config_says_whether_chat_is_on_and_someone_online(
    client, tenant, chat_on, agent_in_support, clock
) -> None:
    assert client.get("/chat/acme/config").json() == {
        "enabled": True,
        "greeting": "Hi! How can we help you today?",
        "online": False,
        "bot_enabled": False,
        "live_url": "",
    }
    services.agent_status_set(tenant=tenant, user=agent_in_support.user, available=True, now=NOW)
    assert client.get("/chat/acme/config").json()["online"] is True
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={"enabled": False})
    assert client.get("/chat/acme/config").json()["enabled"] is False
    assert client.get("/chat/nobody/config").status_code == 404


# --- before a chat ----------------------------------------------------------------------------


def test_suggestions_are_public_articles_only(
    client, tenant, other_tenant, chat_on, article
) -> None:
    internal = article_create(
        tenant=tenant,
        author=None,
        title="Reset password (internal)",
        body="Admin steps.",
        visibility="internal",
        now=NOW,
    )
    article_publish(article=internal, actor=None, now=NOW)
    found = client.get("/chat/acme/suggest", {"q": "reset password"}).json()["articles"]
    assert found == [
        {
            "id": article.pk,
            "title": "Reset your password",
            "summary": "How to reset a forgotten password.",
            "url": f"/portal/acme/kb/{article.slug}",
        }
    ]
    assert client.get("/chat/acme/suggest", {"q": "re"[: MIN_QUERY - 1]}).json() == {"articles": []}
    services.chat_settings_update(
        tenant=other_tenant, actor=None, now=NOW, changes={"enabled": True}
    )
    assert client.get("/chat/globex/suggest", {"q": "reset password"}).json() == {"articles": []}


def test_suggestions_are_off_with_chat(client, tenant, article) -> None:
    answer = client.get("/chat/acme/suggest", {"q": "reset password"})
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Chat is not available here."}


def test_an_opened_article_is_a_self_service_read(client, tenant, chat_on, article, clock) -> None:
    answer = post(client, f"/chat/acme/articles/{article.pk}/read", {"visitor": VISITOR})
    assert answer.status_code == 204
    read = KbEvent.objects.get(tenant=tenant, kind=KbEventKind.VIEW)
    assert (read.article_id, read.visitor) == (article.pk, VISITOR)


def test_a_read_needs_a_visitor_key_and_a_public_article(
    client, tenant, other_tenant, chat_on, article
) -> None:
    answer = post(client, f"/chat/acme/articles/{article.pk}/read", {"visitor": "me"})
    assert answer.status_code == 422 and answer.json()["field"] == "visitor"
    assert post(client, "/chat/acme/articles/999999/read", {"visitor": VISITOR}).status_code == 404
    services.chat_settings_update(
        tenant=other_tenant, actor=None, now=NOW, changes={"enabled": True}
    )
    assert (
        post(client, f"/chat/globex/articles/{article.pk}/read", {"visitor": VISITOR}).status_code
        == 404
    )
    assert not KbEvent.objects.filter(kind=KbEventKind.VIEW).exists()


def test_this_answered_my_question_is_a_deflection_and_no_chat(
    client, tenant, chat_on, article, clock
) -> None:
    answer = post(client, "/chat/acme/deflected", {"article_id": article.pk, "visitor": VISITOR})
    assert answer.status_code == 200 and answer.json()["deflected"] is True
    assert (
        KbEvent.objects.filter(
            tenant=tenant, kind=KbEventKind.SELF_SERVICE_DEFLECTION, article=article
        ).count()
        == 1
    )
    assert not Chat.objects.exists()
    assert (
        post(client, "/chat/acme/deflected", {"article_id": "x", "visitor": VISITOR}).status_code
        == 422
    )


# --- starting ---------------------------------------------------------------------------------


def test_start_answers_the_chat_and_its_token(tenant, chat_on, online, clock) -> None:
    client = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token: the frame's case
    answer = start(client)
    assert answer.status_code == 201
    shown = answer.json()
    chat = Chat.objects.get(tenant=tenant)
    assert shown["chat"]["id"] == str(chat.public_id) and shown["chat"]["state"] == "waiting"
    assert shown["token"] == chat_token(chat)
    assert not answer.cookies
    assert (chat.visitor_key, chat.page_url, chat.visitor_ip) == (
        VISITOR,
        SITE + "/pricing",
        "127.0.0.1",
    )
    first = ChatEvent.objects.get(chat=chat, seq=1)
    assert (first.body, first.client_id) == ("My invoice total looks wrong", "first-1")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "vera-at-customer"}, "email"),
        ({"name": ""}, "name"),
        ({"message": "   "}, "message"),
        ({"name": 42}, "name"),
        ({"visitor": "not a key"}, "visitor"),
    ],
)
def test_start_refuses_bad_input_by_field(client, tenant, chat_on, values, field) -> None:
    answer = start(client, **values)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
    assert not Chat.objects.exists()


def test_start_refuses_what_is_not_a_json_object(client, tenant, chat_on) -> None:
    answer = client.post("/chat/acme/start", data="[1]", content_type="application/json")
    assert answer.status_code == 422 and "JSON object" in answer.json()["detail"]
    answer = client.post("/chat/acme/start", data="{", content_type="application/json")
    assert answer.status_code == 422


def test_start_is_refused_when_chat_is_off_or_the_tenant_unknown(client, tenant) -> None:
    assert start(client).status_code == 404
    assert start(client, slug="nobody").status_code == 404


def test_a_flood_of_chats_is_throttled(client, tenant, chat_on, clock) -> None:
    for n in range(CHATS_PER_ADDRESS):
        assert start(client, email=f"v{n}@customer.test", client_id=f"c{n}").status_code == 201
    answer = start(client, email="another@customer.test", client_id="c-last")
    assert answer.status_code == 429
    assert int(answer["Retry-After"]) > 0
    assert "detail" in answer.json()


def test_only_post_starts_a_chat(client, tenant, chat_on) -> None:
    assert client.get("/chat/acme/start").status_code == 405


# --- in the chat ------------------------------------------------------------------------------


def test_the_poll_reads_events_with_the_token_in_header_or_query(
    client, tenant, chat_on, online, clock
) -> None:
    public_id, token = started(client)
    by_header = client.get(
        f"/chat/acme/c/{public_id}/events", {"after": 0}, headers={"X-Chat-Token": token}
    ).json()
    assert [e["seq"] for e in by_header["events"]] == [1, 2]
    assert by_header["events"][0]["body"] == "My invoice total looks wrong"
    assert by_header["chat"]["state"] == "waiting" and by_header["typing"] is False
    by_query = client.get(f"/chat/acme/c/{public_id}/events", {"after": 1, "token": token})
    assert [e["seq"] for e in by_query.json()["events"]] == [2]
    assert by_query["Cache-Control"] == "no-store"


def test_a_wrong_token_is_refused_with_403(client, tenant, chat_on, online) -> None:
    public_id, _ = started(client)
    other = make_chat(tenant)
    for token in ("", "forged", chat_token(other)):
        answer = client.get(f"/chat/acme/c/{public_id}/events", headers={"X-Chat-Token": token})
        assert answer.status_code == 403, token
        assert "detail" in answer.json()
    assert (
        post(
            client,
            f"/chat/acme/c/{public_id}/messages",
            {"body": "hi"},
            headers={"X-Chat-Token": chat_token(other)},
        ).status_code
        == 403
    )


def test_another_tenants_chat_is_not_found(client, tenant, other_tenant, chat_on, online) -> None:
    public_id, token = started(client)
    services.chat_settings_update(
        tenant=other_tenant, actor=None, now=NOW, changes={"enabled": True}
    )
    for path in ("events", "end"):
        answer = client.generic(
            "GET" if path == "events" else "POST",
            f"/chat/globex/c/{public_id}/{path}",
            headers={"X-Chat-Token": token},
        )
        assert answer.status_code == 404, path
    assert (
        client.get("/chat/acme/c/not-a-uuid/events", headers={"X-Chat-Token": token}).status_code
        == 404
    )
    assert (
        client.get(
            "/chat/acme/c/00000000-0000-0000-0000-000000000000/events",
            headers={"X-Chat-Token": token},
        ).status_code
        == 404
    )


def test_the_poll_refuses_a_bad_after(client, tenant, chat_on, online) -> None:
    public_id, token = started(client)
    answer = client.get(f"/chat/acme/c/{public_id}/events", {"after": "-1", "token": token})
    assert answer.status_code == 422 and answer.json()["field"] == "after"


def test_a_chat_going_on_keeps_working_when_chat_is_switched_off(
    client, tenant, chat_on, online, clock
) -> None:
    public_id, token = started(client)
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={"enabled": False})
    assert client.get(f"/chat/acme/c/{public_id}/events", {"token": token}).status_code == 200


def test_a_message_is_stored_once_and_html_shows_as_text(
    client, tenant, chat_on, online, clock
) -> None:
    chat = active_chat(tenant, online)
    token = chat_token(chat)
    path = f"/chat/acme/c/{chat.public_id}/messages"
    body = {"body": "<b>bold</b> <script>alert(1)</script>& 2 < 3", "client_id": "m-1"}
    first = post(client, path, body, headers={"X-Chat-Token": token})
    again = post(client, path, body, headers={"X-Chat-Token": token})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    shown = first.json()
    assert shown["author"] == "visitor" and shown["client_id"] == "m-1"
    assert "<" not in shown["body"].replace("2 < 3", "") and "script" not in shown["body"]
    assert ChatEvent.objects.filter(chat=chat, client_id="m-1").count() == 1


def test_a_message_needs_text_or_a_file(client, tenant, chat_on, online) -> None:
    chat = active_chat(tenant, online)
    answer = post(
        client,
        f"/chat/acme/c/{chat.public_id}/messages",
        {"body": "  "},
        headers={"X-Chat-Token": chat_token(chat)},
    )
    assert answer.status_code == 422 and answer.json()["field"] == "body"
    answer = post(
        client,
        f"/chat/acme/c/{chat.public_id}/messages",
        {"body": ["x"]},
        headers={"X-Chat-Token": chat_token(chat)},
    )
    assert answer.status_code == 422


def test_a_flood_of_messages_is_throttled(client, tenant, chat_on, online, clock) -> None:
    chat = active_chat(tenant, online)
    path = f"/chat/acme/c/{chat.public_id}/messages"
    for n in range(MESSAGES_PER_WINDOW - 1):  # the question was the first
        assert (
            post(
                client, path, {"body": f"m{n}"}, headers={"X-Chat-Token": chat_token(chat)}
            ).status_code
            == 201
        )
    answer = post(client, path, {"body": "one more"}, headers={"X-Chat-Token": chat_token(chat)})
    assert answer.status_code == 429 and int(answer["Retry-After"]) >= 1


def test_a_file_is_sent_and_downloaded_with_the_token(
    client, tenant, chat_on, online, clock
) -> None:
    chat = active_chat(tenant, online)
    token = chat_token(chat)
    answer = client.post(
        f"/chat/acme/c/{chat.public_id}/messages",
        {"client_id": "f-1", "body": "", "file": SimpleUploadedFile("shot.png", PNG, "image/png")},
        headers={"X-Chat-Token": token},
    )
    assert answer.status_code == 201, answer.content
    attachment = answer.json()["data"]["attachment"]
    assert attachment["name"] == "shot.png" and attachment["content_type"] == "image/png"
    path = f"/chat/acme/c/{chat.public_id}/files/{attachment['id']}"
    download = client.get(path, {"token": token})
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    other = make_chat(tenant, email="other@customer.test")
    assert client.get(path, {"token": chat_token(other)}).status_code == 403
    assert (
        client.get(
            f"/chat/acme/c/{other.public_id}/files/{attachment['id']}", {"token": chat_token(other)}
        ).status_code
        == 404
    )


def test_a_file_too_big_is_refused_with_413(client, tenant, chat_on, online) -> None:
    tenant.attachment_max_bytes = 32
    tenant.save(update_fields=["attachment_max_bytes"])
    chat = active_chat(tenant, online)
    answer = client.post(
        f"/chat/acme/c/{chat.public_id}/messages",
        {"client_id": "f-2", "file": SimpleUploadedFile("big.png", PNG, "image/png")},
        headers={"X-Chat-Token": chat_token(chat)},
    )
    assert answer.status_code == 413 and answer.json()["field"] == "file"
    assert not ChatAttachment.objects.exists()


def test_typing_and_read_state(client, tenant, chat_on, online, clock) -> None:
    chat = active_chat(tenant, online)
    headers = {"X-Chat-Token": chat_token(chat)}
    base = f"/chat/acme/c/{chat.public_id}"
    assert post(client, base + "/typing", {"typing": True}, headers=headers).status_code == 204
    chat.refresh_from_db()
    assert chat.visitor_typing_at == NOW
    answer = post(client, base + "/typing", {"typing": "yes"}, headers=headers)
    assert answer.status_code == 422 and answer.json()["field"] == "typing"
    services.typing(chat=chat, side="agent", typing=True, now=NOW)
    assert client.get(base + "/events", headers=headers).json()["typing"] is True
    clock.advance(seconds=10)
    assert client.get(base + "/events", headers=headers).json()["typing"] is False
    assert post(client, base + "/read", {"seq": chat.last_seq}, headers=headers).status_code == 204
    chat.refresh_from_db()
    assert chat.visitor_read_seq == chat.last_seq
    assert post(client, base + "/read", {"seq": "x"}, headers=headers).status_code == 422


def test_the_visitor_ends_the_chat_and_then_cannot_write(
    client, tenant, chat_on, online, clock
) -> None:
    chat = active_chat(tenant, online)
    headers = {"X-Chat-Token": chat_token(chat)}
    answer = post(client, f"/chat/acme/c/{chat.public_id}/end", headers=headers)
    assert answer.status_code == 200 and answer.json()["state"] == "ended"
    refused = post(
        client, f"/chat/acme/c/{chat.public_id}/messages", {"body": "hello?"}, headers=headers
    )
    assert refused.status_code == 409


def test_the_poll_offers_the_chat_on_when_an_offer_ran_out(
    client, tenant, chat_on, online, clock
) -> None:
    public_id, token = started(client)
    clock.advance(seconds=chat_on.offer_timeout_seconds + 1)
    shown = client.get(f"/chat/acme/c/{public_id}/events", {"token": token}).json()
    # The only agent let the offer run out: nobody is left, so the visitor is told.
    assert shown["chat"]["state"] == "missed"
    assert shown["events"][-1]["data"]["state"] == "missed"


def test_nobody_online_tells_the_visitor_email_will_answer(client, tenant, chat_on, clock) -> None:
    answer = start(client)
    assert answer.json()["chat"]["state"] == "missed"
    chat = Chat.objects.get()
    assert chat.case is not None and chat.case.source == "chat"


def test_the_chatbot_yes_ends_as_deflected(client, tenant, article, clock) -> None:
    services.chat_settings_update(
        tenant=tenant,
        actor=None,
        now=NOW,
        changes={"enabled": True, "bot_enabled": True, "bot_min_score": 50},
    )
    answer = start(client, message="How do I reset my forgotten password?")
    assert answer.json()["chat"]["state"] == "bot"
    public_id, token = answer.json()["chat"]["id"], answer.json()["token"]
    card = client.get(f"/chat/acme/c/{public_id}/events", {"token": token}).json()["events"][1]
    assert card["kind"] == "articles" and card["data"]["articles"][0]["id"] == article.pk
    read = post(
        client,
        f"/chat/acme/articles/{article.pk}/read",
        {"chat_id": public_id},
        headers={"X-Chat-Token": token},
    )
    assert read.status_code == 204
    assert KbEvent.objects.get(kind=KbEventKind.VIEW).visitor == VISITOR
    wrong = post(
        client, f"/chat/acme/c/{public_id}/answer", {"solved": 1}, headers={"X-Chat-Token": token}
    )
    assert wrong.status_code == 422
    solved = post(
        client,
        f"/chat/acme/c/{public_id}/answer",
        {"solved": True},
        headers={"X-Chat-Token": token},
    )
    assert solved.status_code == 200 and solved.json()["state"] == ChatState.DEFLECTED
    again = post(
        client,
        f"/chat/acme/c/{public_id}/answer",
        {"solved": False},
        headers={"X-Chat-Token": token},
    )
    assert again.status_code == 409


def test_reads_inside_a_chat_without_a_key_count_under_the_chat(tenant, chat_on, article) -> None:
    chat = make_chat(tenant)
    assert len(visitor_key_of(chat)) == 32
    client = Client()
    answer = post(
        client,
        f"/chat/acme/articles/{article.pk}/read",
        {"chat_id": str(chat.public_id)},
        headers={"X-Chat-Token": chat_token(chat)},
    )
    assert answer.status_code == 204
    assert KbEvent.objects.get(kind=KbEventKind.VIEW).visitor == chat.public_id.hex


# --- hostile input ----------------------------------------------------------------------------

HOSTILE = ["a\x00b", "\ud800", "x" * 100_000, 2**70, None, [], {"a": 1}]


@pytest.mark.parametrize(
    "value", HOSTILE, ids=["nul", "surrogate", "big", "huge", "null", "list", "object"]
)
def test_hostile_values_are_refused_never_a_server_error(
    client, tenant, chat_on, online, article, value
) -> None:
    chat = active_chat(tenant, online)
    token = chat_token(chat)
    headers = {"X-Chat-Token": token}
    base = f"/chat/acme/c/{chat.public_id}"
    raw = json.dumps(value)
    answers = [
        start(client, name=value),
        start(client, email=value),
        start(client, message=value),
        start(client, page_url=value),
        start(client, client_id=value),
        start(client, visitor=value),
        post(client, base + "/messages", {"body": value, "client_id": "h-1"}, headers=headers),
        post(client, base + "/messages", {"body": "x", "client_id": value}, headers=headers),
        post(client, base + "/typing", {"typing": value}, headers=headers),
        post(client, base + "/read", {"seq": value}, headers=headers),
        post(client, base + "/answer", {"solved": value}, headers=headers),
        post(client, "/chat/acme/deflected", {"article_id": value, "visitor": VISITOR}),
        post(client, "/chat/acme/deflected", {"article_id": article.pk, "visitor": value}),
        post(client, f"/chat/acme/articles/{article.pk}/read", {"visitor": value}),
        post(client, f"/chat/acme/articles/{article.pk}/read", {"chat_id": value}, headers=headers),
        client.post(base + "/messages", data=raw, content_type="application/json", headers=headers),
    ]
    # A lone surrogate cannot even be put in a URL or a header (the client refuses it).
    if isinstance(value, str | int) and value != "\ud800":
        text = str(value)
        answers += [
            client.get("/chat/acme/suggest", {"q": text}),
            client.get(base + "/events", {"after": text}, headers=headers),
            client.get(base + "/events", headers={"X-Chat-Token": text}),
        ]
    for answer in answers:
        assert 200 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
        if answer.status_code >= 400 and answer.get("Content-Type") == "application/json":
            assert "detail" in answer.json()


def test_ids_past_any_row_are_not_found(client, tenant, chat_on, online) -> None:
    chat = active_chat(tenant, online)
    token = chat_token(chat)
    huge = 2**70
    assert post(client, f"/chat/acme/articles/{huge}/read", {"visitor": VISITOR}).status_code == 404
    assert (
        client.get(f"/chat/acme/c/{chat.public_id}/files/{huge}", {"token": token}).status_code
        == 404
    )


def test_members_try_the_widget_on_a_page_of_casedesk(
    tenant, other_tenant, chat_on, agent, outsider
) -> None:
    page = login(agent).get("/chat/acme/try")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<script src="/chat/acme/widget.js" async></script>' in text
    assert "&lt;script src=&quot;http://testserver/chat/acme/widget.js&quot; async&gt;" in text
    assert login(outsider).get("/chat/acme/try").status_code == 404
    assert Client().get("/chat/acme/try").status_code == 302  # to the sign-in page


def test_a_live_server_elsewhere_is_named_and_allowed_to_connect(
    client, tenant, chat_on, settings
) -> None:
    settings.CASEDESK_LIVE_URL = "http://127.0.0.1:8001/"
    assert client.get("/chat/acme/config").json()["live_url"] == "http://127.0.0.1:8001"
    frame = client.get("/chat/acme/frame")
    connect = next(p for p in frame["Content-Security-Policy"].split(";") if "connect-src" in p)
    assert connect.split() == ["connect-src", "'self'", "http://127.0.0.1:8001"]
    assert '"live": "http://127.0.0.1:8001"' in frame.content.decode()


def test_a_form_where_json_belongs_is_refused(client, tenant, chat_on, online) -> None:
    chat = active_chat(tenant, online)
    headers = {"X-Chat-Token": chat_token(chat)}
    for path in (
        "/chat/acme/start",
        f"/chat/acme/c/{chat.public_id}/typing",
        f"/chat/acme/c/{chat.public_id}/read",
    ):
        answer = client.post(path, {"name": "Vera", "typing": "true"}, headers=headers)
        assert answer.status_code == 422, (path, answer.content)
        answer = client.post(
            path, "name=Vera", content_type="application/x-www-form-urlencoded", headers=headers
        )
        assert answer.status_code == 422, (path, answer.content)
