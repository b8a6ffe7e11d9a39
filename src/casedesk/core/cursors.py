"""Opaque cursors for keyset pagination: a JSON list of the last row's sort key, base64'd."""

import base64
import binascii
import json
import re
from typing import Any

from casedesk.core.errors import Invalid


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_CURSOR = re.compile(r"[A-Za-z0-9_-]*=*")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    """The values a cursor holds; Invalid for anything that is not one of ours (including
    characters base64 would silently skip, such as NUL)."""
    if not _CURSOR.fullmatch(cursor):
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor") from None
    if not isinstance(values, list) or len(values) != length:
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor")
    return values
