"""A chat's life through its services: start, the chatbot, offers, messages both ways, the
case and its timeline, the end."""

from datetime import timedelta

import pytest

from casedesk.cases.models import Case, EventKind, Note, Source, TimelineEvent
from casedesk.cases.services import case_add_note
from casedesk.chat import selectors, services
from casedesk.chat.models import ChatOffer, ChatState, OfferState
from casedesk.chat.services import VisitorStart
from casedesk.chat.tokens import chat_from_token, chat_token
from casedesk.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from casedesk.kb.models import KbEvent, KbEventKind
from casedesk.kb.services import article_create, article_publish
from casedesk.mail.models import OutboundKind, OutboundMail
from casedesk.notifications.models import Notification
from tests.conftest import NOW


@pytest.fixture
def chat_on(tenant):
    return services.chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={
        "enabled": True, "allowed_origins": ["https://www.acme.test"]})


def _online(tenant, *memberships):
    for membership in memberships:
        services.agent_status_set(tenant=tenant, user=membership.user, available=True, now=NOW)


def _start(tenant, message="My invoice total looks wrong", **values):
    data = {"name": "Vera Visitor", "email": "vera@customer.test", "message": message,
            "ip": "203.0.113.9", "visitor_key": "vk-1", **values}
    return services.chat_start(tenant=tenant, visitor=VisitorStart(**data), now=NOW)


def _kinds(chat):
    return [(e.kind, e.author) for e in selectors.events_after(chat, 0)]


def test_chat_needs_the_widget_switched_on(tenant):
    with pytest.raises(NotFound):
        _start(tenant)


def test_bad_visitor_input_is_refused_by_field(tenant, chat_on):
    for values, field in (({"email": "not-an-address"}, "email"), ({"name": "  "}, "name"),
                          ({"message": "<b></b>"}, "message"),
                          ({"message": "x" * 4001}, "message"),
                          ({"client_id": "no spaces please"}, "client_id")):
        with pytest.raises(Invalid) as refused:
            _start(tenant, **values)
        assert refused.value.field == field


def test_nobody_online_makes_a_case_answered_by_email(tenant, chat_on, agent):
    chat = _start(tenant)
    assert chat.state == ChatState.MISSED
    case = Case.objects.get(pk=chat.case_id)
    assert case.source == Source.CHAT
    assert case.contact.email == "vera@customer.test"
    assert case.description == "My invoice total looks wrong"
    assert case.owner_id is None
    events = selectors.events_after(chat, 0)
    assert [e.kind for e in events] == ["message", "state", "state"]
    assert events[-1].data["state"] == "missed"
    assert "vera@customer.test" in events[-1].body
    said = list(TimelineEvent.objects.filter(case=case, kind=EventKind.CHAT)
                .values_list("message", flat=True))
    assert any("Live chat started by Vera Visitor" in m for m in said)
    assert any("Nobody took the chat" in m for m in said)
    # A visitor case: the article reads before it are no deflection.
    assert KbEvent.objects.filter(kind=KbEventKind.VISITOR_CASE, case=case,
                                  visitor="vk-1").exists()
    with pytest.raises(Conflict):
        services.visitor_message(chat=chat, body="hello?", now=NOW)


def test_an_online_agent_is_offered_the_chat_and_accepts(tenant, chat_on, agent_in_support):
    _online(tenant, agent_in_support)
    chat = _start(tenant)
    assert chat.state == ChatState.WAITING
    offer = ChatOffer.objects.get(chat=chat)
    assert offer.agent_id == agent_in_support.user_id
    assert offer.expires_at == NOW + timedelta(seconds=30)
    assert [o.pk for o in selectors.pending_offers_of(tenant, agent_in_support.user, NOW)] == [
        offer.pk]

    chat = services.offer_accept(offer=offer, user=agent_in_support.user, now=NOW)
    assert chat.state == ChatState.ACTIVE
    case = Case.objects.get(pk=chat.case_id)
    assert case.owner_id == agent_in_support.user_id
    assert case.status == "open"
    last = selectors.events_after(chat, 0)[-1]
    assert last.data == {"state": "active", "agent_name": agent_in_support.user.display_name}
    with pytest.raises(Conflict):
        services.offer_accept(offer=offer, user=agent_in_support.user, now=NOW)


def _active(tenant, membership):
    _online(tenant, membership)
    chat = _start(tenant)
    offer = ChatOffer.objects.get(chat=chat, state=OfferState.PENDING)
    return services.offer_accept(offer=offer, user=membership.user, now=NOW)


def test_messages_both_ways_are_the_case_timeline(tenant, chat_on, agent_in_support):
    chat = _active(tenant, agent_in_support)
    user = agent_in_support.user
    said = services.agent_message(chat=chat, user=user, body="Let me check that <b>now</b>.",
                                  now=NOW + timedelta(seconds=20), client_id="a-1")
    assert said.body == "Let me check that now."
    case = Case.objects.get(pk=chat.case_id)
    # The agent's first chat reply is the case's first response; the chat carried it, so it
    # was not mailed (the acknowledgement with the case's number was: the tenant's rule).
    assert case.first_response_at == NOW + timedelta(seconds=20)
    assert said.note is not None and said.note.is_public
    assert not OutboundMail.objects.filter(case=case, kind=OutboundKind.REPLY).exists()

    heard = services.visitor_message(chat=chat, body="Thanks! <script>x()</script>",
                                     now=NOW + timedelta(seconds=30), client_id="v-1")
    heard.refresh_from_db()
    assert heard.body == "Thanks!"
    assert heard.note.author_email == "vera@customer.test"
    assert TimelineEvent.objects.filter(case=case, kind=EventKind.CUSTOMER_REPLIED,
                                        message="Vera Visitor wrote in chat.").exists()
    # The owner reads along: no notice per message.
    assert not Notification.objects.filter(case_id=case.pk, kind="customer_reply").exists()
    # Sent again after a dropped connection: stored once.
    again = services.visitor_message(chat=chat, body="Thanks!", now=NOW, client_id="v-1")
    assert again.pk == heard.pk
    assert Note.objects.filter(case=case, is_public=True).count() == 2
    seqs = [e.seq for e in selectors.events_after(chat, 0)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_reply_written_on_the_case_page_goes_into_the_live_chat(tenant, chat_on,
                                                                  agent_in_support):
    chat = _active(tenant, agent_in_support)
    case = Case.objects.get(pk=chat.case_id)
    case_add_note(case=case, actor=agent_in_support.user, body="From the case page",
                  is_public=True, now=NOW)
    assert selectors.events_after(chat, 0)[-1].body == "From the case page"
    assert not OutboundMail.objects.filter(case=case, kind=OutboundKind.REPLY).exists()
    services.chat_end(chat=chat, by="visitor", now=NOW)
    # The chat is over: the next reply is mailed.
    case_add_note(case=case, actor=agent_in_support.user, body="Follow-up by mail",
                  is_public=True, now=NOW)
    assert OutboundMail.objects.filter(case=case, kind=OutboundKind.REPLY).count() == 1


def test_only_the_chats_agent_writes_in_it(tenant, chat_on, agent_in_support, agent2):
    chat = _active(tenant, agent_in_support)
    with pytest.raises(PermissionDenied):
        services.agent_message(chat=chat, user=agent2.user, body="hi", now=NOW)
    with pytest.raises(PermissionDenied):
        services.chat_end(chat=chat, by="agent", user=agent2.user, now=NOW)


def test_declined_and_expired_offers_pass_to_the_next_agent(tenant, chat_on,
                                                            support_queue_with_both_agents,
                                                            agent, agent2):
    _online(tenant, agent, agent2)
    chat = _start(tenant)
    first = ChatOffer.objects.get(chat=chat)
    services.offer_decline(offer=first, user=first.agent, now=NOW)
    second = ChatOffer.objects.get(chat=chat, state=OfferState.PENDING)
    assert second.agent_id != first.agent_id
    # Nobody answers the second in time: nobody is left, so the visitor is told.
    assert services.offers_expire(now=NOW + timedelta(seconds=29)) == 0
    assert services.offers_expire(now=NOW + timedelta(seconds=31)) == 1
    chat.refresh_from_db()
    assert chat.state == ChatState.MISSED
    assert set(ChatOffer.objects.filter(chat=chat).values_list("state", flat=True)) == {
        OfferState.DECLINED, OfferState.EXPIRED}


def test_an_agent_at_chat_capacity_is_not_offered_more(tenant, chat_on, agent_in_support):
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW,
                                  changes={"chats_per_agent": 1})
    _active(tenant, agent_in_support)
    chat = _start(tenant, email="other@customer.test")
    assert chat.state == ChatState.MISSED


def test_someone_else_cannot_answer_an_offer(tenant, chat_on, agent_in_support, agent2):
    _online(tenant, agent_in_support)
    offer = ChatOffer.objects.get(chat=_start(tenant))
    with pytest.raises(PermissionDenied):
        services.offer_accept(offer=offer, user=agent2.user, now=NOW)


def test_floods_are_throttled(tenant, chat_on, agent_in_support):
    chat = _active(tenant, agent_in_support)
    for n in range(services.MESSAGES_PER_WINDOW - 1):  # the question was the first
        services.visitor_message(chat=chat, body=f"m{n}", now=NOW + timedelta(seconds=1))
    with pytest.raises(services.Throttled) as held:
        services.visitor_message(chat=chat, body="one more", now=NOW + timedelta(seconds=2))
    assert 1 <= held.value.retry_after <= 10
    services.visitor_message(chat=chat, body="later", now=NOW + timedelta(seconds=12))

    for n in range(services.CHATS_PER_ADDRESS - 1):
        _start(tenant, email=f"v{n}@customer.test")
    with pytest.raises(services.Throttled):
        _start(tenant, email="another@customer.test")
    # Another address is not held back.
    _start(tenant, email="another@customer.test", ip="198.51.100.7")


@pytest.fixture
def reset_article(tenant):
    article = article_create(tenant=tenant, author=None, title="Reset your password",
                             body="Open Settings, then Security, and choose Reset password.",
                             visibility="public", now=NOW)
    return article_publish(article=article, actor=None, now=NOW)


def test_the_chatbot_answers_and_yes_is_a_deflection(tenant, chat_on, reset_article, agent):
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW,
                                  changes={"bot_enabled": True})
    chat = _start(tenant, message="How can I reset my password?")
    assert chat.state == ChatState.BOT
    assert chat.case_id is None
    offered = selectors.events_after(chat, 0)[-1]
    assert offered.kind == "articles"
    assert offered.data["articles"][0]["id"] == reset_article.pk
    assert offered.data["articles"][0]["url"].endswith("/kb/reset-your-password")
    chat = services.bot_answer(chat=chat, solved=True, now=NOW)
    assert chat.state == ChatState.DEFLECTED
    assert chat.case_id is None
    assert KbEvent.objects.filter(kind=KbEventKind.SELF_SERVICE_DEFLECTION,
                                  article=reset_article, visitor="vk-1").count() == 1
    with pytest.raises(Conflict):
        services.bot_answer(chat=chat, solved=False, now=NOW)


def test_the_chatbot_no_hands_over_with_the_article_noted(tenant, chat_on, reset_article,
                                                          agent):
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW,
                                  changes={"bot_enabled": True})
    chat = _start(tenant, message="How can I reset my password?")
    chat = services.bot_answer(chat=chat, solved=False, now=NOW)
    assert chat.state == ChatState.MISSED  # nobody online
    said = " ".join(TimelineEvent.objects.filter(case_id=chat.case_id, kind=EventKind.CHAT)
                    .values_list("message", flat=True))
    assert "“Reset your password”" in said


def test_the_chatbot_stays_quiet_without_a_good_answer(tenant, chat_on, reset_article):
    services.chat_settings_update(tenant=tenant, actor=None, now=NOW,
                                  changes={"bot_enabled": True})
    chat = _start(tenant, message="My invoice total looks wrong")
    assert chat.state != ChatState.BOT


def test_read_state_never_goes_back(tenant, chat_on, agent_in_support):
    chat = _active(tenant, agent_in_support)
    services.mark_read(chat=chat, side="visitor", seq=3, now=NOW)
    services.mark_read(chat=chat, side="visitor", seq=1, now=NOW)
    services.mark_read(chat=chat, side="agent", seq=999, now=NOW)
    chat.refresh_from_db()
    assert chat.visitor_read_seq == 3
    assert chat.agent_read_seq == chat.last_seq


def test_a_chat_whose_visitor_left_ends(tenant, chat_on, agent_in_support):
    chat = _active(tenant, agent_in_support)
    services.offers_expire(now=NOW + services.VISITOR_GONE + timedelta(seconds=1))
    chat.refresh_from_db()
    assert (chat.state, chat.ended_by) == (ChatState.ENDED, "system")


def test_the_token_opens_its_own_chat_only(tenant, other_tenant, chat_on):
    first, second = _start(tenant), _start(tenant, email="b@customer.test")
    assert chat_from_token(tenant, first.public_id, chat_token(first)).pk == first.pk
    with pytest.raises(PermissionDenied):
        chat_from_token(tenant, second.public_id, chat_token(first))
    with pytest.raises(PermissionDenied):
        chat_from_token(tenant, first.public_id, chat_token(first) + "x")
    with pytest.raises(PermissionDenied):
        chat_from_token(other_tenant, first.public_id, chat_token(first))


def test_settings_are_checked(tenant):
    for changes, field in (({"allowed_origins": ["http://example.com"]}, "allowed_origins"),
                           ({"allowed_origins": ["https://a.test/path"]}, "allowed_origins"),
                           ({"offer_timeout_seconds": 5}, "offer_timeout_seconds"),
                           ({"chats_per_agent": 0}, "chats_per_agent"),
                           ({"bot_min_score": 101}, "bot_min_score"),
                           ({"enabled": "yes"}, "enabled"), ({"colour": "red"}, "colour")):
        with pytest.raises(Invalid) as refused:
            services.chat_settings_update(tenant=tenant, actor=None, changes=changes, now=NOW)
        assert refused.value.field == field
    saved = services.chat_settings_update(tenant=tenant, actor=None, now=NOW, changes={
        "allowed_origins": "https://WWW.Acme.test/\nhttp://localhost:8080 https://www.acme.test"})
    assert saved.allowed_origins == ["https://www.acme.test", "http://localhost:8080"]
