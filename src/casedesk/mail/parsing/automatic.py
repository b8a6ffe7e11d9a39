"""Mail a robot sent: a bounce, an auto-reply, a mailing list's or a bulk sender's message.
The desk files such mail but never acknowledges it (a robot answering a robot never stops),
and the people it copies do not become participants."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from casedesk.mail.parsing.body import part_type
from casedesk.mail.parsing.charsets import decode_header_value
from casedesk.mail.parsing.fields import first_header, header_values


@dataclass(frozen=True)
class AutomaticSigns:
    """The headers that tell a robot's mail, and what they add up to."""

    auto_submitted: str
    precedence: str
    has_x_autoreply: bool
    has_x_autorespond: bool
    list_id: str
    is_bounce: bool
    is_automatic: bool


def automatic_signs(msg: Message, *, from_address: str,
                    has_delivery_status: bool) -> AutomaticSigns:
    """Reads the signs from the message's headers, its sender (`from_address`, lower-cased)
    and whether its body holds a delivery status report (`has_delivery_status`)."""
    auto_submitted = decode_header_value(first_header(msg, "Auto-Submitted")).strip().lower()
    precedence = decode_header_value(first_header(msg, "Precedence")).strip().lower()
    has_x_autoreply = bool(header_values(msg, "X-Autoreply"))
    has_x_autorespond = bool(header_values(msg, "X-Autorespond"))
    list_id = decode_header_value(first_header(msg, "List-Id")).strip()
    local_part = from_address.split("@", 1)[0]
    is_bounce = (
        part_type(msg) == "multipart/report"
        or has_delivery_status
        or local_part in ("mailer-daemon", "postmaster")
    )
    is_auto_submitted = bool(auto_submitted) and auto_submitted.split(";")[0].strip() != "no"
    is_automatic = (
        is_bounce
        or is_auto_submitted
        or precedence in ("bulk", "junk", "list")
        or has_x_autoreply
        or has_x_autorespond
        or (bool(list_id) and (bool(precedence) or is_auto_submitted))
    )
    return AutomaticSigns(
        auto_submitted=auto_submitted,
        precedence=precedence,
        has_x_autoreply=has_x_autoreply,
        has_x_autorespond=has_x_autorespond,
        list_id=list_id,
        is_bounce=is_bounce,
        is_automatic=is_automatic,
    )
