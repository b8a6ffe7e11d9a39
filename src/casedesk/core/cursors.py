"""Opaque cursors for keyset pagination: a JSON list of the last row's sort key, base64'd."""

import base64
import binascii
import json
import re
from typing import Any

from casedesk.core.errors import Invalid
from casedesk.core.text import json_text_problem


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_CURSOR = re.compile(r"[A-Za-z0-9_-]*=*")


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    """The values a cursor holds; Invalid for anything that is not one of ours (including
    characters base64 would silently skip, such as NUL, and values holding text the database
    cannot store)."""
    if not _CURSOR.fullmatch(cursor):
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor") from None
    # A forged cursor may carry text no row holds (NUL, a lone surrogate): refused here, so
    # no keyset filter hands it to the database.
    if (not isinstance(values, list) or len(values) != length
            or json_text_problem(values) is not None):
        raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                      field="cursor")
    return values
