"""Every change of a chat: one function per change, one transaction, `now` passed in. The one
module callers use: the settings (`chat.config`) and the offers to agents (`chat.offering`)
are written there and named here too.

A chat's events are numbered under the chat row's lock (`chat.log.append`), so both sides see
them in one order, and each is published (`chat.live.publish`) in the same transaction:
PostgreSQL delivers the notification at commit, never for a change that rolled back. Once a
case, its messages are written to the case through the case services in the same
transaction: the visitor's as the customer's replies, the agent's as public replies, which
the chat carries to the visitor instead of mail (`carry_reply`, registered with
`cases.hooks.on_reply_carrier`)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from casedesk.cases.attachments import check_file
from casedesk.cases.changes import case_change
from casedesk.cases.creation import CaseInput, case_create
from casedesk.cases.models import Case, EventKind, Note, Source
from casedesk.cases.services import CustomerMessage, case_add_note, case_customer_reply
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import lock_case
from casedesk.chat import bot, live, selectors
from casedesk.chat.config import chat_settings, chat_settings_update, clean_origin
from casedesk.chat.log import agent_ids, append, case_line, lock, save_state, state_event
from casedesk.chat.models import (
    OPEN_STATES,
    Author,
    Chat,
    ChatAttachment,
    ChatEvent,
    ChatEventKind,
    ChatOffer,
    ChatSettings,
    ChatState,
    OfferState,
)
from casedesk.chat.offering import (
    SEEN_EVERY,
    agent_seen,
    agent_status_set,
    offer_accept,
    offer_decline,
    offer_next,
    pending_offer,
    withdraw_offers,
)
from casedesk.chat.text import MAX_MESSAGE, plain
from casedesk.core.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from casedesk.core.files import human_size
from casedesk.core.limits import clipped
from casedesk.core.text import check_text
from casedesk.crm.services import contact_for_email
from casedesk.kb import events as kb_events
from casedesk.kb.models import Article, ArticleStatus, Visibility
from casedesk.kb.search import search_articles
from casedesk.tenancy.models import Tenant, User

__all__ = [
    "CHATS_PER_ADDRESS", "MESSAGES_PER_WINDOW", "MESSAGE_WINDOW", "START_WINDOW",
    "VISITOR_GONE", "Throttled", "VisitorStart", "agent_message", "agent_seen",
    "agent_status_set", "bot_answer", "carry_reply", "chat_end", "chat_settings",
    "chat_settings_update", "chat_start", "chats_of_case", "clean_origin", "mark_read",
    "offer_accept", "offer_decline", "offers_expire", "pending_offer", "public_article_url",
    "record_article_read", "record_deflection", "typing", "visitor_message", "visitor_seen",
]

# Floods: a visitor may start CHATS_PER_ADDRESS chats from one address (or one email) per
# START_WINDOW, and send MESSAGES_PER_WINDOW messages per MESSAGE_WINDOW in a chat.
CHATS_PER_ADDRESS = 5
START_WINDOW = timedelta(minutes=10)
MESSAGES_PER_WINDOW = 10
MESSAGE_WINDOW = timedelta(seconds=10)
# A chat whose visitor has not been heard from (stream or poll) for this long has ended.
VISITOR_GONE = timedelta(minutes=10)
BOT_CANDIDATES = 3
log = logging.getLogger(__name__)


class Throttled(DomainError):
    """Too many chats or messages from one visitor lately: 429 with Retry-After."""

    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


@dataclass
class VisitorStart:
    name: str
    email: str
    message: str
    page_url: str = ""
    ip: str | None = None
    client_id: str = ""
    visitor_key: str = ""


def _clean_client_id(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value):
        raise Invalid("The message's id must be at most 64 letters, digits, - or _.",
                      field="client_id")
    return value


def _message_text(body: str, *, field: str = "body", required: bool = True) -> str:
    if not isinstance(body, str):
        raise Invalid("Write a message.", field=field)
    check_text(body, field=field, label="The message")
    text = plain(body)
    if len(text) > MAX_MESSAGE:
        raise Invalid(f"A message may be at most {MAX_MESSAGE} characters "
                      f"({len(text)} given).", field=field)
    if required and not text:
        raise Invalid("Write a message.", field=field)
    return text


def _visitor_fields(data: VisitorStart) -> tuple[str, str, str]:
    name = plain(check_text(data.name or "", field="name", label="Your name"))
    if not name:
        raise Invalid("Tell us your name.", field="name")
    if len(name) > 200:
        raise Invalid("A name may be at most 200 characters.", field="name")
    email = (data.email or "").strip()
    check_text(email, field="email", label="The email address")
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid("Give an email address we can answer you at, like name@example.com.",
                      field="email") from None
    if len(email) > 254:
        raise Invalid("An email address may be at most 254 characters.", field="email")
    local, _, domain = email.rpartition("@")
    message = _message_text(data.message, field="message")
    return name, f"{local}@{domain.lower()}", message


def _start_throttle(tenant: Tenant, ip: str | None, email: str, now: datetime) -> None:
    since = now - START_WINDOW
    for field, value in (("visitor_ip", ip), ("visitor_email", email)):
        if not value:
            continue
        recent = list(Chat.objects.filter(tenant=tenant, created_at__gt=since, **{field: value})
                      .order_by("-created_at").values_list("created_at", flat=True)
                      [:CHATS_PER_ADDRESS])
        if len(recent) >= CHATS_PER_ADDRESS:
            wait = int((recent[-1] + START_WINDOW - now).total_seconds()) + 1
            raise Throttled("You have started several chats in a short while. Please wait "
                            "a few minutes, or write to us by email.", wait)


def _message_throttle(chat: Chat, now: datetime) -> None:
    recent = list(ChatEvent.objects.filter(
        tenant_id=chat.tenant_id, chat=chat, author=Author.VISITOR,
        kind=ChatEventKind.MESSAGE, created_at__gt=now - MESSAGE_WINDOW,
    ).order_by("-seq").values_list("created_at", flat=True)[:MESSAGES_PER_WINDOW])
    if len(recent) >= MESSAGES_PER_WINDOW:
        wait = int((recent[-1] + MESSAGE_WINDOW - now).total_seconds()) + 1
        raise Throttled("You are sending messages very fast. Please wait a moment.", wait)


def public_article_url(tenant: Tenant, article: Article) -> str:
    return reverse("kb:public_article", kwargs={"tenant_slug": tenant.slug,
                                                 "article_slug": article.slug})


def _bot_pick(tenant: Tenant, settings: ChatSettings, question: str
              ) -> tuple[Article, float] | None:
    """The published public article the chatbot answers `question` with, if one covers it
    well enough (`chat.bot`)."""
    hits = search_articles(tenant.pk, question, visibility={Visibility.PUBLIC},
                           statuses={ArticleStatus.PUBLISHED}, limit=BOT_CANDIDATES)
    if not hits:
        return None
    articles = {a.pk: a for a in Article.objects.filter(
        tenant=tenant, pk__in=[h.article_id for h in hits], visibility=Visibility.PUBLIC,
        status=ArticleStatus.PUBLISHED)}
    best = bot.best_answer(question, [
        bot.Candidate(a.pk, a.title, f"{a.summary}\n{a.body}") for a in articles.values()
    ], settings.bot_min_score)
    if best is None:
        return None
    return articles[best[0]], best[1]


def chat_start(*, tenant: Tenant, visitor: VisitorStart, now: datetime) -> Chat:
    """A visitor's new chat: with the chatbot when it has a good answer, else handed over to
    the agents (a case made, the chat offered)."""
    settings = chat_settings(tenant)
    if not settings.enabled:
        raise NotFound("Chat is not available here.")
    name, email, message = _visitor_fields(visitor)
    client_id = _clean_client_id(visitor.client_id)
    visitor_key = (visitor.visitor_key or "").strip()[:64]
    check_text(visitor_key, field="visitor_key")
    page_url = clipped(Chat, "page_url", plain(check_text(visitor.page_url or "",
                                                          field="page_url")))
    _start_throttle(tenant, visitor.ip, email, now)
    pick = _bot_pick(tenant, settings, message) if settings.bot_enabled else None
    with transaction.atomic():
        chat = Chat.objects.create(
            tenant=tenant, state=ChatState.BOT if pick else ChatState.WAITING,
            visitor_name=name, visitor_email=email, visitor_ip=visitor.ip or None,
            page_url=page_url, visitor_key=visitor_key, created_at=now, visitor_seen_at=now,
            bot_article=pick[0] if pick else None)
        chat.tenant = tenant
        append(chat, ChatEventKind.MESSAGE, Author.VISITOR, now, body=message,
                author_name=name, client_id=client_id)
        if pick is not None:
            article, score = pick
            append(chat, ChatEventKind.ARTICLES, Author.BOT, now,
                    body=f"This article may answer your question: {article.title}. "
                         "Did this solve it?",
                    data={"articles": [{"id": article.pk, "title": article.title,
                                        "url": public_article_url(tenant, article),
                                        "score": score}],
                          "question": "Did this solve it?"})
        else:
            _hand_over(chat, settings, now)
    return chat


def _hand_over(chat: Chat, settings: ChatSettings, now: datetime, *,
               declined: Article | None = None) -> None:
    """The locked chat goes to the agents: its case is made and it is offered."""
    tenant = chat.tenant
    question = selectors.first_message(chat)
    contact = contact_for_email(tenant, chat.visitor_email, chat.visitor_name)
    case, _ = case_create(tenant=tenant, actor=None, now=now, data=CaseInput(
        subject=clipped(Case, "subject", question.strip().splitlines()[0]
                        if question.strip() else f"Chat with {chat.visitor_name}"),
        description=question, source=Source.CHAT, contact_id=contact.pk, assign=False))
    if chat.visitor_key:
        kb_events.record_visitor_case(case, chat.visitor_key, now)
    said = [f"Live chat started by {chat.visitor_name} <{chat.visitor_email}>"
            + (f" on {chat.page_url}" if chat.page_url else "") + "."]
    if declined is not None:
        said.append(f"The chatbot offered the article “{declined.title}”; the visitor said "
                    "it did not solve it.")
    later = list(ChatEvent.objects.filter(chat=chat, seq__gt=1, author=Author.VISITOR,
                                          kind=ChatEventKind.MESSAGE).order_by("seq"))
    with case_change():
        case = lock_case(case)
        timeline_write([event(case, None, EventKind.CHAT, now, message=" ".join(said))])
    chat.case = case
    chat.state = ChatState.WAITING
    chat.handed_over_at = now
    save_state(chat, "case", "handed_over_at")
    # What the visitor wrote to the bot after the question joins the case as their replies.
    for written in later:
        _, note = case_customer_reply(case=case, now=now, message=CustomerMessage(
            body=written.body or "(a file)", author_email=chat.visitor_email,
            author_name=chat.visitor_name, channel="chat"))
        ChatEvent.objects.filter(pk=written.pk).update(note=note)
    state_event(chat, now, "Looking for an agent for you…")
    offer_next(chat, settings, now)


def _open(chat: Chat) -> None:
    if chat.state not in OPEN_STATES:
        raise Conflict("This chat has ended. Start a new one, or write to us by email."
                       if chat.state != ChatState.MISSED else
                       "Nobody is available to chat: we will answer you by email.")


def _store_upload(chat: Chat, upload: UploadedFile[bytes], sender: str, now: datetime
                  ) -> ChatAttachment:
    checked = check_file(chat.tenant, upload, field="file")
    row = ChatAttachment(tenant_id=chat.tenant_id, chat=chat, name=checked.filename,
                         content_type=checked.content_type, size=checked.size, sender=sender,
                         created_at=now)
    row.file.save(f"{secrets.token_hex(16)}.bin", checked.upload, save=False)
    # Written in the caller's transaction; if that rolls back, the file goes too.
    _pending_files.get().append(row.file.name or "")
    row.save()
    return row


_pending_files: ContextVar[list[str]] = ContextVar("chat_pending_files")


@contextmanager
def _files_kept_only_on_commit() -> Iterator[None]:
    token = _pending_files.set([])
    try:
        yield
    except BaseException:
        for name in _pending_files.get():
            if name:
                try:
                    default_storage.delete(name)
                except Exception:  # the refusal being raised matters more than this file
                    log.warning("Could not delete %s after a failed write", name,
                                exc_info=True)
        raise
    finally:
        _pending_files.reset(token)


def _attachment_data(row: ChatAttachment) -> dict[str, Any]:
    return {"attachment": {"id": row.pk, "name": row.name, "size": row.size,
                           "content_type": row.content_type}}


def _replayed(chat: Chat, client_id: str) -> ChatEvent | None:
    if not client_id:
        return None
    return ChatEvent.objects.filter(tenant_id=chat.tenant_id, chat=chat,
                                    client_id=client_id).first()


def visitor_message(*, chat: Chat, body: str, now: datetime, client_id: str = "",
                    upload: UploadedFile[bytes] | None = None) -> ChatEvent:
    """What the visitor wrote (and maybe a file). Sent again with the same `client_id` (a
    retry after a dropped connection), the first one's event is returned."""
    client_id = _clean_client_id(client_id)
    replay = _replayed(chat, client_id)
    if replay is not None:
        return replay
    text = _message_text(body, required=upload is None)
    _open(chat)
    _message_throttle(chat, now)
    with _files_kept_only_on_commit(), transaction.atomic():
        chat = lock(chat)
        _open(chat)
        replay = _replayed(chat, client_id)
        if replay is not None:
            return replay
        data = _attachment_data(_store_upload(chat, upload, Author.VISITOR, now)) \
            if upload is not None else {}
        written = append(chat, ChatEventKind.MESSAGE, Author.VISITOR, now, body=text,
                          author_name=chat.visitor_name, data=data, client_id=client_id)
        Chat.objects.filter(pk=chat.pk).update(visitor_typing_at=None, visitor_seen_at=now)
        if chat.state == ChatState.BOT:
            # Writing on instead of answering the bot: they want a person.
            _bot_declined(chat, now)
        elif chat.case_id is not None:
            case = Case.objects.get(pk=chat.case_id)
            shown = text + (f"\n[file: {data['attachment']['name']}, "
                            f"{human_size(data['attachment']['size'])}]" if data else "")
            try:
                _, note = case_customer_reply(case=case, now=now, message=CustomerMessage(
                    body=shown.strip(), author_email=chat.visitor_email,
                    author_name=chat.visitor_name, channel="chat"))
            except Conflict:
                note = None  # a closed case that may not re-open: the chat keeps the message
            if note is not None:
                ChatEvent.objects.filter(pk=written.pk).update(note=note)
    return written


_carrying: ContextVar[dict[str, Any] | None] = ContextVar("chat_carrying", default=None)


def agent_message(*, chat: Chat, user: User, body: str, now: datetime, client_id: str = "",
                  upload: UploadedFile[bytes] | None = None) -> ChatEvent:
    """The agent's message: a public reply on the chat's case (its first is the case's first
    response), which the chat carries to the visitor (`carry_reply`)."""
    client_id = _clean_client_id(client_id)
    replay = _replayed(chat, client_id)
    if replay is not None:
        return replay
    text = _message_text(body, required=upload is None)
    if chat.agent_id != user.pk:
        raise PermissionDenied("Only the agent who took this chat writes in it.")
    if chat.state != ChatState.ACTIVE or chat.case_id is None:
        raise Conflict("This chat is not active.")
    with _files_kept_only_on_commit(), transaction.atomic():
        chat = lock(chat)
        if chat.state != ChatState.ACTIVE or chat.agent_id != user.pk:
            raise Conflict("This chat is not active.")
        replay = _replayed(chat, client_id)
        if replay is not None:
            return replay
        data = _attachment_data(_store_upload(chat, upload, Author.AGENT, now)) \
            if upload is not None else {}
        shown = text + (f"\n[file: {data['attachment']['name']}, "
                        f"{human_size(data['attachment']['size'])}]" if data else "")
        carrying: dict[str, Any] = {"chat": chat, "client_id": client_id, "data": data,
                                    "body": text, "event": None}
        token = _carrying.set(carrying)
        try:
            assert chat.case_id is not None
            case = Case.objects.get(pk=chat.case_id, tenant_id=chat.tenant_id)
            case_add_note(case=case, actor=user, body=shown.strip(), is_public=True, now=now)
        finally:
            _carrying.reset(token)
        Chat.objects.filter(pk=chat.pk).update(agent_typing_at=None)
    written = carrying["event"]
    assert isinstance(written, ChatEvent)
    return written


def carry_reply(case: Case, note: Note, now: datetime) -> bool:
    """`cases.hooks.on_reply_carrier`: an agent's public reply on a case whose chat is
    active goes into the chat (in the reply's transaction) instead of the mail."""
    carrying = _carrying.get()
    if carrying is not None and carrying["chat"].case_id == case.pk:
        chat = carrying["chat"]
    else:
        found = (Chat.objects.select_for_update()
                 .filter(tenant_id=case.tenant_id, case_id=case.pk, state=ChatState.ACTIVE)
                 .order_by("-pk").first())
        if found is None:
            return False
        chat = found
    author = note.author
    written = append(chat, ChatEventKind.MESSAGE, Author.AGENT, now,
                      body=carrying["body"] if carrying is not None else plain(note.body),
                      author_name=author.display_name if author is not None else "",
                      user=author, note=note,
                      data=carrying["data"] if carrying is not None else {},
                      client_id=carrying["client_id"] if carrying is not None else "")
    if carrying is not None:
        carrying["event"] = written
    return True


def _bot_declined(chat: Chat, now: datetime) -> None:
    article = Article.objects.filter(pk=chat.bot_article_id).first() \
        if chat.bot_article_id else None
    _hand_over(chat, chat_settings(chat.tenant), now, declined=article)


def bot_answer(*, chat: Chat, solved: bool, now: datetime) -> Chat:
    """The visitor's answer to "did this solve it?": yes ends the chat as deflected (the
    article counts as a self-service deflection), no hands it over with the article noted."""
    with transaction.atomic():
        chat = lock(chat)
        if chat.state != ChatState.BOT:
            raise Conflict("The chatbot is not waiting for an answer in this chat.")
        if solved:
            chat.state = ChatState.DEFLECTED
            chat.ended_at = now
            chat.ended_by = "visitor"
            save_state(chat, "ended_at", "ended_by")
            article = Article.objects.filter(pk=chat.bot_article_id).first() \
                if chat.bot_article_id else None
            if article is not None and chat.visitor_key:
                kb_events.record_self_service_deflection(article, chat.visitor_key, now)
            state_event(chat, now, "Glad that helped! The chat has ended.")
        else:
            _bot_declined(chat, now)
    return chat


def record_article_read(*, tenant: Tenant, article_id: int, visitor_key: str,
                        now: datetime) -> None:
    """A visitor opened an article the widget suggested (their read may become a
    deflection: `kb.events`)."""
    article = _public_article(tenant, article_id)
    kb_events.record_self_service_read(article, visitor_key, now)


def record_deflection(*, tenant: Tenant, article_id: int, visitor_key: str,
                      now: datetime) -> None:
    """The visitor said an article the widget suggested answered their question, and
    started no chat: a self-service deflection."""
    article = _public_article(tenant, article_id)
    kb_events.record_self_service_deflection(article, visitor_key, now)


def _public_article(tenant: Tenant, article_id: int) -> Article:
    article = Article.objects.filter(tenant=tenant, pk=article_id, visibility=Visibility.PUBLIC,
                                     status=ArticleStatus.PUBLISHED).first()
    if article is None:
        raise NotFound("No such article.")
    return article


def typing(*, chat: Chat, side: str, typing: bool, now: datetime) -> None:
    if side not in (Author.VISITOR, Author.AGENT):
        raise Invalid("Say who is typing: visitor or agent.", field="side")
    if chat.state not in OPEN_STATES:
        return
    column = "visitor_typing_at" if side == Author.VISITOR else "agent_typing_at"
    with transaction.atomic():
        Chat.objects.filter(pk=chat.pk).update(**{column: now if typing else None})
        live.publish(tenant_id=chat.tenant_id, chat_id=str(chat.public_id),
                     agent_ids=agent_ids(chat),
                     ephemeral={"kind": "typing", "side": side, "typing": bool(typing)})


def mark_read(*, chat: Chat, side: str, seq: int, now: datetime) -> None:
    """The side has seen the chat up to `seq` (never backwards)."""
    if side not in (Author.VISITOR, Author.AGENT):
        raise Invalid("Say who read: visitor or agent.", field="side")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise Invalid("Give the number of the last event read.", field="seq")
    column = "visitor_read_seq" if side == Author.VISITOR else "agent_read_seq"
    with transaction.atomic():
        seq = min(seq, Chat.objects.filter(pk=chat.pk).values_list("last_seq", flat=True)
                  .get())
        moved = Chat.objects.filter(pk=chat.pk, **{f"{column}__lt": seq}).update(
            **{column: seq})
        if moved:
            live.publish(tenant_id=chat.tenant_id, chat_id=str(chat.public_id),
                         agent_ids=agent_ids(chat),
                         ephemeral={"kind": "read", "side": side, "seq": seq})


def visitor_seen(*, chat: Chat, now: datetime) -> None:
    """The visitor's stream or poll is there (at most one write per SEEN_EVERY)."""
    if chat.visitor_seen_at is None or now - chat.visitor_seen_at >= SEEN_EVERY:
        Chat.objects.filter(pk=chat.pk).update(visitor_seen_at=now)
        chat.visitor_seen_at = now


def chat_end(*, chat: Chat, by: str, now: datetime, user: User | None = None) -> Chat:
    """Ends an open chat (visitor, agent or system); its case goes on by email."""
    if by not in ("visitor", "agent", "system"):
        raise Invalid("Say who ends the chat.", field="by")
    with transaction.atomic():
        chat = lock(chat)
        if by == "agent" and (user is None or chat.agent_id != user.pk):
            raise PermissionDenied("Only the agent who took this chat ends it.")
        if chat.state not in OPEN_STATES:
            return chat
        withdraw_offers(chat, now)
        chat.state = ChatState.ENDED
        chat.ended_at = now
        chat.ended_by = by
        save_state(chat, "ended_at", "ended_by")
        who = {"visitor": chat.visitor_name or "The visitor",
               "agent": user.display_name if user is not None else "The agent",
               "system": "casedesk (the visitor had gone)"}[by]
        state_event(chat, now, f"{who} ended the chat.")
        case_line(chat.case_id, chat.tenant, f"Chat ended by {who}.", now, actor=user)
    return chat


def offers_expire(*, now: datetime, tenant: Tenant | None = None) -> int:
    """Offers nobody answered in time pass to the next agent, and chats whose visitor is
    long gone end. How many offers expired. Safe to run from several processes at once."""
    due = ChatOffer.objects.filter(state=OfferState.PENDING, expires_at__lte=now)
    if tenant is not None:
        due = due.filter(tenant=tenant)
    expired = 0
    for offer_id, chat_id in list(due.values_list("pk", "chat_id")[:200]):
        with transaction.atomic():
            chat = Chat.objects.select_for_update().filter(pk=chat_id).first()
            offer = ChatOffer.objects.select_for_update().filter(
                pk=offer_id, state=OfferState.PENDING).first()
            if chat is None or offer is None:
                continue
            offer.state = OfferState.EXPIRED
            offer.answered_at = now
            offer.save(update_fields=["state", "answered_at"])
            live.publish(tenant_id=chat.tenant_id, chat_id=str(chat.public_id),
                         agent_ids=[offer.agent_id],
                         ephemeral={"kind": "offer_gone", "to": "agents",
                                    "offer_id": offer.pk})
            expired += 1
            if chat.state == ChatState.WAITING:
                chat.tenant = Tenant.objects.get(pk=chat.tenant_id)
                offer_next(chat, chat_settings(chat.tenant), now)
    gone = Chat.objects.filter(state__in=OPEN_STATES, visitor_seen_at__lt=now - VISITOR_GONE)
    if tenant is not None:
        gone = gone.filter(tenant=tenant)
    for chat in list(gone.select_related("tenant")[:200]):
        chat_end(chat=chat, by="system", now=now)
    return expired


def chats_of_case(case: Case) -> Sequence[Chat]:
    return list(Chat.objects.filter(tenant_id=case.tenant_id, case=case).order_by("pk"))
