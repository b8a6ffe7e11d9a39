"""What erasure and retention replace, decided without the database: the terms that name a
person, and those terms struck out of text, JSON values and raw mail.

An email is matched anywhere, case-insensitively (it names one person wherever it stands);
a name or a phone number only as a whole word, so "Ann" does not eat "Annual"; a text the
person wrote (a message body, a subject) only whole and exactly, where it was copied into a
log or a payload.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ERASED = "[erased]"
# A customer's message kept for the record of the case, its words removed.
ERASED_MESSAGE = "(erased)"
# The non-delivering domain of RFC 2606: an erased contact keeps an address nobody can own.
ERASED_DOMAIN = "erased.invalid"
MIN_NAME = 2
MIN_PHONE_DIGITS = 6
# Shorter texts are too likely to occur by chance ("Thanks!") to be struck out on sight.
MIN_TEXT = 12
# Notifications quote the first 200 characters of a customer's message.
QUOTED_PREFIX = 200


def erased_label(contact_id: int) -> str:
    return f"Erased contact {contact_id}"


def erased_email(contact_id: int) -> str:
    return f"erased-{contact_id}@{ERASED_DOMAIN}"


def is_erased_email(email: str) -> bool:
    return email.lower().endswith("@" + ERASED_DOMAIN)


@dataclass(frozen=True)
class Terms:
    """What names one person: their email, name and phone, and texts they wrote."""

    email: str
    name: str = ""
    phone: str = ""
    texts: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, *, email: str, name: str = "", phone: str = "",
           texts: Iterable[str] = ()) -> Terms:
        name = " ".join(name.split())
        kept: list[str] = []
        for text in texts:
            for piece in (text.strip(), text.strip()[:QUOTED_PREFIX].strip()):
                if len(piece) >= MIN_TEXT and piece not in kept:
                    kept.append(piece)
        # The longest first, so a text that holds another is struck out whole.
        kept.sort(key=len, reverse=True)
        return cls(email=email.strip().lower(),
                   name=name if len(name) >= MIN_NAME else "",
                   phone=phone.strip() if _digits(phone) >= MIN_PHONE_DIGITS else "",
                   texts=tuple(kept))

    def needles(self, *, with_name: bool) -> list[str]:
        """The strings a database `icontains` looks for: the email always; name and phone
        only where the row is the person's; both as JSON escapes them too."""
        found = [self.email] if self.email else []
        if with_name:
            found += [t for t in (self.name, self.phone) if t]
        escaped = [json.dumps(n)[1:-1] for n in found]
        return list(dict.fromkeys(found + escaped))


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _word(term: str) -> re.Pattern[str]:
    # \b fails beside a non-word character ("+49 …"), so words are bounded by lookarounds.
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)


def redact_text(text: str, terms: Terms, *, with_name: bool = True) -> str:
    """`text` with the person's texts, email, and (when `with_name`) name and phone replaced
    by `[erased]`."""
    if not text:
        return text
    out = text
    if with_name:
        for written in terms.texts:
            out = out.replace(written, ERASED)
    if terms.email:
        out = re.sub(re.escape(terms.email), ERASED, out, flags=re.IGNORECASE)
    if with_name:
        for term in (terms.name, terms.phone):
            if term:
                out = _word(term).sub(ERASED, out)
    return out


def redact_json(value: Any, terms: Terms, *, with_name: bool = True) -> Any:
    """A JSON value with every string in it (keys too) redacted."""
    if isinstance(value, str):
        return redact_text(value, terms, with_name=with_name)
    if isinstance(value, list):
        return [redact_json(v, terms, with_name=with_name) for v in value]
    if isinstance(value, dict):
        return {redact_text(str(k), terms, with_name=with_name):
                redact_json(v, terms, with_name=with_name) for k, v in value.items()}
    return value


def redact_bytes(raw: bytes, terms: Terms) -> bytes:
    """Raw mail with the email and name struck out where they stand as plain UTF-8 (headers,
    unencoded parts); encoded words and base64 parts are not read."""
    out = raw
    for term in (terms.email, terms.name):
        if term:
            out = re.sub(re.escape(term.encode()), ERASED.encode(), out, flags=re.IGNORECASE)
    return out


def mentions(text: str, terms: Terms) -> bool:
    return redact_text(text, terms) != text


def months_before(now: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the 31st becomes the month's last
    day), the cut-off of a retention period."""
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    last = _last_day(year, month)
    return now.replace(year=year, month=month, day=min(now.day, last))


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def fit(value: str, max_length: int | None) -> str:
    """A replacement cut to its column's length."""
    return value if max_length is None else value[:max_length]
