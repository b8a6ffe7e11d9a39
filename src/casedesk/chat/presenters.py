"""What the widget, the console and the API show of chats, offers and their events."""

from typing import Any

from casedesk.chat.models import Chat, ChatEvent, ChatOffer


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def event_json(event: ChatEvent) -> dict[str, Any]:
    return {"seq": event.seq, "kind": event.kind, "author": event.author,
            "author_name": event.author_name, "body": event.body, "data": event.data or {},
            "created_at": _iso(event.created_at), "client_id": event.client_id}


def chat_json(chat: Chat, *, for_agent: bool = False, agent_name: str = "") -> dict[str, Any]:
    """A chat as its visitor sees it; an agent also sees who the visitor is, the case and
    the visitor's read state."""
    shown: dict[str, Any] = {
        "id": str(chat.public_id), "state": chat.state, "last_seq": chat.last_seq,
        "agent_name": agent_name, "agent_read_seq": chat.agent_read_seq,
        "visitor_read_seq": chat.visitor_read_seq, "created_at": _iso(chat.created_at),
        "ended_at": _iso(chat.ended_at), "visitor_name": chat.visitor_name,
    }
    if for_agent:
        shown.update({
            "visitor_email": chat.visitor_email, "page_url": chat.page_url,
            "case_number": chat.case.display_number if chat.case_id and chat.case else None,
            "agent_id": chat.agent_id, "accepted_at": _iso(chat.accepted_at),
            "handed_over_at": _iso(chat.handed_over_at), "ended_by": chat.ended_by,
        })
    return shown


def offer_json(offer: ChatOffer, *, question: str = "") -> dict[str, Any]:
    chat = offer.chat
    return {"id": offer.pk, "chat_id": str(chat.public_id), "state": offer.state,
            "visitor_name": chat.visitor_name, "visitor_email": chat.visitor_email,
            "question": question, "created_at": _iso(offer.created_at),
            "expires_at": _iso(offer.expires_at),
            "case_number": chat.case.display_number if chat.case_id and chat.case else None}
