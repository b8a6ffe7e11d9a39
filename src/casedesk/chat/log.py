"""Writing a chat's log: its next numbered event under the chat row's lock, published in the
same transaction (`chat.live.publish`: PostgreSQL delivers it at commit, never for a change
that rolled back), and the `chat` lines on its case's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casedesk.cases.changes import case_change
from casedesk.cases.models import Case, EventKind, Note
from casedesk.cases.timeline import event, timeline_write
from casedesk.cases.writing import lock_case
from casedesk.chat import live
from casedesk.chat.models import (
    Author,
    Chat,
    ChatEvent,
    ChatEventKind,
)
from casedesk.chat.presenters import event_json
from casedesk.tenancy.models import Tenant, User


def lock(chat: Chat) -> Chat:
    locked = Chat.objects.select_for_update().get(pk=chat.pk, tenant_id=chat.tenant_id)
    tenant = chat._state.fields_cache.get("tenant")
    if isinstance(tenant, Tenant):
        locked.tenant = tenant
    return locked


def agent_ids(chat: Chat) -> list[int]:
    return [chat.agent_id] if chat.agent_id is not None else []


def append(chat: Chat, kind: str, author: str, now: datetime, *, body: str = "",
            author_name: str = "", user: User | None = None, data: dict[str, Any] | None = None,
            note: Note | None = None, client_id: str = "") -> ChatEvent:
    """The chat's next event; `chat` is locked by the caller, and its `last_seq` saved here."""
    chat.last_seq += 1
    row = ChatEvent.objects.create(
        tenant_id=chat.tenant_id, chat=chat, seq=chat.last_seq, kind=kind, author=author,
        author_name=author_name, user=user, body=body, data=data or {}, note=note,
        client_id=client_id, created_at=now)
    Chat.objects.filter(pk=chat.pk).update(last_seq=chat.last_seq)
    live.publish(tenant_id=chat.tenant_id, chat_id=str(chat.public_id),
                 agent_ids=agent_ids(chat), event=event_json(row))
    return row


def state_event(chat: Chat, now: datetime, body: str, *, agent_name: str = "") -> ChatEvent:
    return append(chat, ChatEventKind.STATE, Author.SYSTEM, now, body=body,
                   data={"state": chat.state, "agent_name": agent_name})


def save_state(chat: Chat, *fields: str) -> None:
    chat.save(update_fields=["state", *fields])


def case_line(case_id: int | None, tenant: Tenant, message: str, now: datetime,
               actor: User | None = None) -> None:
    """A line on the chat's case timeline (kind `chat`)."""
    if case_id is None:
        return
    with case_change():
        case = lock_case(Case(pk=case_id, tenant_id=tenant.pk, tenant=tenant))
        timeline_write([event(case, actor, EventKind.CHAT, now, message=message)])


# --- the visitor --------------------------------------------------------------------------------
