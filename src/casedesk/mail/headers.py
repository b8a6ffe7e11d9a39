"""A stored message's headers read without its body: the ones an admin looks at first, and the
addresses it was sent to. Pure: bytes in, text out.

Headers come first in a message; reading `HEADER_BYTES` of it is enough to show them, and
spares parsing a 25 MB body to show a summary.
"""

from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses

from casedesk.mail.parsing.charsets import decode_header_value

HEADER_BYTES = 64 * 1024
SUMMARY_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID",
                   "In-Reply-To", "References", "Delivered-To", "Auto-Submitted",
                   "Content-Type")
MAX_HEADER_TEXT = 2000
# The envelope recipient the channel saw is not stored, so these stand in for it, in order.
ADDRESSING_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")
MAX_ADDRESSES = 50


def header_block(raw: bytes) -> Message | None:
    """The message's header block; None when the parser refuses it."""
    try:
        return BytesParser(policy=compat32).parsebytes(raw[:HEADER_BYTES], headersonly=True)
    except Exception:  # noqa: BLE001 - a message the parser refuses simply shows no headers
        return None


def summary_headers(raw: bytes) -> list[tuple[str, str]]:
    """The headers an admin looks at first, decoded for reading; [] when there are none to
    read (the message may be the garbage that got it quarantined)."""
    block = header_block(raw)
    if block is None:
        return []
    shown = []
    for name in SUMMARY_HEADERS:
        for value in block.get_all(name) or []:
            try:
                text = decode_header_value(str(value))
            except Exception:  # noqa: BLE001
                text = str(value)
            text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
            shown.append((name, text[:MAX_HEADER_TEXT]))
    return shown


def addressed_to(raw: bytes) -> list[str]:
    """The addresses the message was sent to, lower case, in the order of
    `ADDRESSING_HEADERS` (at most `MAX_ADDRESSES`)."""
    block = header_block(raw)
    if block is None:
        return []
    values = [str(v) for name in ADDRESSING_HEADERS for v in block.get_all(name) or []]
    return [a.strip().lower() for _, a in getaddresses(values) if "@" in a][:MAX_ADDRESSES]
