"""The chat API's shapes: chats and their events as the console's agents see them, the offers
made to an agent, an agent's chat availability, and the tenant's chat settings."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from casedesk.chat.forms import (
    BOT_SCORE_MAX,
    BOT_SCORE_MIN,
    CHATS_PER_AGENT_MAX,
    CHATS_PER_AGENT_MIN,
    GREETING_MAX,
    OFFER_TIMEOUT_MAX,
    OFFER_TIMEOUT_MIN,
    OFFLINE_MESSAGE_MAX,
)
from casedesk.chat.text import MAX_MESSAGE
from casedesk.core.schemas import Text

StateName = Literal["bot", "waiting", "active", "missed", "deflected", "ended"]
KindName = Literal["message", "articles", "state"]
AuthorName = Literal["visitor", "agent", "bot", "system"]
Origin = Annotated[Text, Field(min_length=1, max_length=300, examples=["https://www.example.com"])]
_WHEN = "2026-11-23T09:00:00Z"
_CHAT_ID = "0b7e3c52-8d7f-4c1e-9f45-2f9a51e0c7d4"


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ChatOut(Schema):
    """A chat as agents see it: who the visitor is, its state, the case it is on, and how far
    each side has read."""

    model_config = _examples(
        {
            "id": _CHAT_ID,
            "state": "active",
            "visitor_name": "Jo Customer",
            "visitor_email": "jo@example.com",
            "page_url": "https://www.example.com/pricing",
            "case_number": "CS-1042",
            "agent_id": 7,
            "agent_name": "Ada Agent",
            "last_seq": 5,
            "agent_read_seq": 5,
            "visitor_read_seq": 4,
            "created_at": _WHEN,
            "handed_over_at": _WHEN,
            "accepted_at": _WHEN,
            "ended_at": None,
            "ended_by": "",
        }
    )

    id: str = Field(description="The chat's public id (a UUID)")
    state: StateName = Field(
        description=(
            "`bot`: the chatbot offered an article; `waiting`: offered to agents; `active`: with "
            "an agent; `missed`: nobody took it (its case is answered by email); `deflected`: an "
            "article answered it; `ended`"
        )
    )
    visitor_name: str
    visitor_email: str
    page_url: str = Field(description="The page of the tenant's site the chat started on")
    case_number: str | None = Field(
        description="The chat's case, e.g. `CS-1042` (none while the chatbot has it)"
    )
    agent_id: int | None = Field(description="The user id of the agent in the chat")
    agent_name: str
    last_seq: int = Field(description="The number of the chat's latest event")
    agent_read_seq: int = Field(description="The agent has seen the events up to this one")
    visitor_read_seq: int = Field(description="The visitor has seen the events up to this one")
    created_at: datetime
    handed_over_at: datetime | None
    accepted_at: datetime | None
    ended_at: datetime | None
    ended_by: str = Field(description="`visitor`, `agent`, `system`, or empty")


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str


class EventOut(Schema):
    """One event of a chat, numbered in the chat's order (`seq`). Text is plain (any markup
    was removed before it was stored)."""

    model_config = _examples(
        {
            "seq": 3,
            "kind": "message",
            "author": "agent",
            "author_name": "Ada Agent",
            "body": "Hello Jo, let me look at your invoice.",
            "data": {},
            "created_at": _WHEN,
            "client_id": "3c1f0e6a-2b0d-4c47-9d3a-7a1f2e9b4c10",
        }
    )

    seq: int
    kind: KindName = Field(
        description=(
            "`message` (`data.attachment` when a file came with it), `articles` (the chatbot's "
            "answer: `data.articles`), `state` (the chat moved: `data.state`, `data.agent_name`)"
        )
    )
    author: AuthorName
    author_name: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    client_id: str = Field(description="The sender's own id of a message (empty if none)")


class ChatDetailOut(ChatOut):
    events: list[EventOut] = Field(
        description="The events after `after`, in order (at most 500: ask again after the last one)"
    )


class ChatPage(Schema):
    items: list[ChatOut]
    next_cursor: str | None


class MessageIn(Schema):
    model_config = _examples(
        {
            "body": "Hello Jo, let me look at your invoice.",
            "client_id": "3c1f0e6a-2b0d-4c47-9d3a-7a1f2e9b4c10",
        }
    )

    body: Text = Field(
        min_length=1,
        max_length=4 * MAX_MESSAGE,
        description=(f"Plain text; markup is removed, and at most {MAX_MESSAGE} characters remain"),
    )
    client_id: str = Field(
        "",
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]*$",
        description=(
            "Your own id for the message: sent again with the same id (after a dropped "
            "connection), it is stored once and the first answer is given again"
        ),
    )


class OfferOut(Schema):
    """A waiting chat offered to you: accept it before `expires_at`, or it goes to the next
    agent."""

    model_config = _examples(
        {
            "id": 12,
            "chat_id": _CHAT_ID,
            "state": "pending",
            "visitor_name": "Jo Customer",
            "visitor_email": "jo@example.com",
            "question": "My invoice shows the wrong VAT.",
            "created_at": _WHEN,
            "expires_at": "2026-11-23T09:00:30Z",
            "case_number": "CS-1042",
        }
    )

    id: int
    chat_id: str = Field(description="The chat's public id")
    state: Literal["pending", "accepted", "declined", "expired", "withdrawn"]
    visitor_name: str
    visitor_email: str
    question: str = Field(description="The visitor's first message")
    created_at: datetime
    expires_at: datetime
    case_number: str | None


class OfferList(Schema):
    items: list[OfferOut]


class StatusIn(Schema):
    model_config = _examples({"available": True})

    available: bool = Field(description="true: offer me chats; false: offer me none")


class StatusOut(Schema):
    model_config = _examples(
        {"available": True, "seen_at": _WHEN, "active_chats": 2, "chats_per_agent": 3}
    )

    available: bool
    seen_at: datetime | None = Field(
        description=(
            "When your console (or this call) was last heard from: chats are offered only to "
            "agents heard from in the last minute"
        )
    )
    active_chats: int
    chats_per_agent: int = Field(description="The tenant's limit of active chats per agent")


class ChatSettingsOut(Schema):
    model_config = _examples(
        {
            "enabled": True,
            "allowed_origins": ["https://www.example.com"],
            "bot_enabled": True,
            "bot_min_score": 60,
            "offer_timeout_seconds": 30,
            "chats_per_agent": 3,
            "greeting": "Hi! How can we help you today?",
            "offline_message": "Nobody is available to chat right now. We have opened a case "
            "for you and will answer by email.",
            "widget_script_url": "https://desk.example.com/chat/acme/widget.js",
            "updated_at": _WHEN,
        }
    )

    enabled: bool
    allowed_origins: list[str] = Field(description="The sites that may show the widget")
    bot_enabled: bool
    bot_min_score: int
    offer_timeout_seconds: int
    chats_per_agent: int
    greeting: str
    offline_message: str
    widget_script_url: str = Field(
        description=('The loader a site includes: `<script src="…" async></script>`')
    )
    updated_at: datetime


class ChatSettingsPatch(Schema):
    """The settings to change; those left out stay as they are."""

    model_config = _examples(
        {
            "enabled": True,
            "allowed_origins": ["https://www.example.com"],
            "offer_timeout_seconds": 45,
        }
    )

    enabled: bool | None = None
    allowed_origins: list[Origin] | None = Field(
        None,
        max_length=20,
        description=(
            "Origins as `scheme://host[:port]`, https except for localhost; replaces the list"
        ),
    )
    bot_enabled: bool | None = None
    bot_min_score: int | None = Field(
        None,
        ge=BOT_SCORE_MIN,
        le=BOT_SCORE_MAX,
        description=(
            "0–100: how well an article must match the question for the chatbot to offer it"
        ),
    )
    offer_timeout_seconds: int | None = Field(None, ge=OFFER_TIMEOUT_MIN, le=OFFER_TIMEOUT_MAX)
    chats_per_agent: int | None = Field(None, ge=CHATS_PER_AGENT_MIN, le=CHATS_PER_AGENT_MAX)
    greeting: Text | None = Field(None, max_length=GREETING_MAX)
    offline_message: Text | None = Field(None, max_length=OFFLINE_MESSAGE_MAX)
