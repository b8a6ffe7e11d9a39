"""Header fields read from their raw values: addresses, Message-IDs and dates, each parsed
leniently (a field that cannot be read is empty, never an error)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from casedesk.mail.parsing.charsets import decode_header_value, raw_to_str


def header_values(msg: Message, name: str) -> list[str]:
    """Raw values of a header (the source text, not the policy's parsed object)."""
    wanted = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == wanted]


def first_header(msg: Message, name: str) -> str:
    values = header_values(msg, name)
    return values[0] if values else ""


_ANGLE_ID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str) -> list[str]:
    ids = _ANGLE_ID.findall(value)
    if not ids:  # some clients omit the brackets
        ids = [tok.strip("<>,;") for tok in value.split() if "@" in tok]
    seen: list[str] = []
    for one in ids:
        if one and one not in seen:
            seen.append(one)
    return seen


def addresses(values: Iterable[str]) -> list[tuple[str, str]]:
    """(name, lower-cased address) pairs; entries that are not an address are skipped."""
    texts = [
        re.sub(r"\r?\n[ \t]*", " ", raw_to_str(v)).replace("\r", " ").replace("\n", " ")
        for v in values
    ]
    if not texts:
        return []
    try:
        pairs = getaddresses(texts)
        if not any(addr for _, addr in pairs):
            pairs = getaddresses(texts, strict=False)
    except Exception:  # noqa: BLE001 - a bad address must not lose the message
        pairs = []
    out: list[tuple[str, str]] = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").strip()
        if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
            continue
        out.append((decode_header_value(name).strip(), addr.lower()))
    return out


def parse_date(value: str) -> dt.datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # "-0000": the zone is unknown; UTC is the RFC's reading
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
