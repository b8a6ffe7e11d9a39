"""The entry point of parsing: one raw message in, a ``ParsedMessage`` out, or
``Unparseable`` when nothing in it is usable; and a glimpse of a refused message's headers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser

from casedesk.mail.parsing.automatic import automatic_signs
from casedesk.mail.parsing.body import Body, ParsedAttachment, extract_body
from casedesk.mail.parsing.charsets import decode_bytes, decode_header_value, raw_to_str
from casedesk.mail.parsing.fields import (
    addresses,
    first_header,
    header_values,
    message_ids,
    parse_date,
)
from casedesk.mail.parsing.html import html_to_text, sanitize_html

# Headers at least one of which any real message carries; a "message" with none of them is
# binary garbage that happened to contain a colon.
_KNOWN_HEADERS = frozenset(
    {
        "from", "to", "cc", "subject", "date", "message-id", "received", "return-path",
        "mime-version", "content-type", "sender", "reply-to", "in-reply-to", "references",
        "delivered-to", "x-mailer", "content-transfer-encoding",
    }
)  # fmt: skip


class Unparseable(Exception):  # noqa: N818 - the name is the contract with the ingestion code
    """Raised when a message has nothing usable (empty, no headers, binary garbage)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedMessage:
    """What the desk needs from one inbound message; every field has a usable default."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    date_raw: str = ""
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_submitted: str = ""
    precedence: str = ""
    has_x_autoreply: bool = False
    has_x_autorespond: bool = False
    list_id: str = ""
    is_bounce: bool = False
    is_automatic: bool = False
    language: str = ""
    # The Authentication-Results values, unfolded, topmost first (`mail.authresults` decides
    # which of them to believe).
    authentication_results: list[str] = field(default_factory=list)


def _normalise_obsolete_headers(raw: bytes) -> bytes:
    """RFC 822 allowed white space before a header's colon ("Subject  : x"); RFC 5322 not."""
    head, sep, rest = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    head = re.sub(rb"(?m)^([!-9;-~]+)[ \t]+:", rb"\1:", head)
    return head + sep + rest


def _parse_bytes(raw: bytes) -> Message:
    return BytesParser(policy=policy.compat32).parsebytes(raw)


def _header_names(msg: Message) -> set[str]:
    return {k.lower() for k, _ in msg.raw_items()}


def glimpse(raw: bytes) -> tuple[str, str]:
    """(sender address, subject) of a message the parser refused, as far as its headers can
    be read at all, so an admin's quarantine list says what it is. Never raises."""
    try:
        head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].replace(b"\x00", b"")
        msg = BytesParser(policy=policy.compat32).parsebytes(head + b"\n\n", headersonly=True)
        senders = addresses(header_values(msg, "From"))
        subject = re.sub(r"\s+", " ", decode_header_value(first_header(msg, "Subject"))).strip()
        return (senders[0][1] if senders else ""), subject
    except Exception:  # noqa: BLE001 - a glimpse is a courtesy; the message is kept anyway
        return "", ""


def parse_message(raw: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMessage:
    """Parse one raw message leniently; raise ``Unparseable`` only when nothing is usable.

    Attachments larger than ``max_attachment_bytes`` are kept as records with their size and
    ``truncated=True`` but without content, so the desk can show a clear notice.
    """
    if not raw or not raw.strip():
        raise Unparseable("empty message")
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    if b"\x00" in head:
        raise Unparseable("binary data in the header section")
    msg = _parse_bytes(raw)
    if not _header_names(msg) & _KNOWN_HEADERS:
        raw = _normalise_obsolete_headers(raw)
        msg = _parse_bytes(raw)
    names = _header_names(msg)
    if not names:
        raise Unparseable("no headers")
    if not names & _KNOWN_HEADERS:
        raise Unparseable("no recognisable headers")

    try:
        body = extract_body(msg, max_attachment_bytes)
    except Exception:  # noqa: BLE001 - last resort: the body as text, never a crash
        rest = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[1:]
        body = Body(texts=[decode_bytes(rest[0], "utf-8")] if rest else [])
    if not any(t.strip() for t in body.texts + body.htmls) and body.attached_messages:
        # A forward-as-attachment or a bounce with no words of its own: show the enclosed
        # message's words (the attachment itself is kept as well).
        try:
            inner = extract_body(body.attached_messages[0], None)
            body.texts, body.htmls = inner.texts, inner.htmls
        except Exception:  # noqa: BLE001
            pass

    senders = addresses(header_values(msg, "From")) or addresses(header_values(msg, "Sender"))
    from_name, from_address = senders[0] if senders else ("", "")
    date_raw = decode_header_value(first_header(msg, "Date")).strip()
    html_raw = "\n".join(body.htmls)
    text = "\n".join(body.texts)
    if not text.strip() and html_raw.strip():
        text = html_to_text(html_raw)
    signs = automatic_signs(msg, from_address=from_address,
                            has_delivery_status=body.has_delivery_status)
    ids = message_ids(first_header(msg, "Message-ID"))
    return ParsedMessage(
        message_id=ids[0] if ids else "",
        in_reply_to=message_ids(" ".join(header_values(msg, "In-Reply-To"))),
        references=message_ids(" ".join(header_values(msg, "References"))),
        subject=re.sub(r"\s+", " ", decode_header_value(first_header(msg, "Subject"))).strip(),
        from_address=from_address,
        from_name=from_name,
        to=[a for _, a in addresses(header_values(msg, "To"))],
        cc=[a for _, a in addresses(header_values(msg, "Cc"))],
        reply_to=[a for _, a in addresses(header_values(msg, "Reply-To"))],
        date=parse_date(date_raw),
        date_raw=date_raw,
        text=text,
        html=sanitize_html(html_raw) if html_raw.strip() else "",
        attachments=body.attachments,
        auto_submitted=signs.auto_submitted,
        precedence=signs.precedence,
        has_x_autoreply=signs.has_x_autoreply,
        has_x_autorespond=signs.has_x_autorespond,
        list_id=signs.list_id,
        is_bounce=signs.is_bounce,
        is_automatic=signs.is_automatic,
        language=decode_header_value(first_header(msg, "Content-Language")).strip(),
        authentication_results=[
            " ".join(raw_to_str(v).split()) for v in header_values(msg, "Authentication-Results")
        ][:20],
    )
