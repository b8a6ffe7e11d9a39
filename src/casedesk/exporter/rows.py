"""How exported rows are written: CSV cells safe to open in a spreadsheet, JSON Lines, and the
stream of bytes both become. Pure: no ORM, no request.

CSV is UTF-8 with a byte-order mark, because Excel reads a CSV without one in the machine's
legacy code page and garbles every accented name; Python's `utf-8-sig`, pandas and
LibreOffice all read the mark. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading apostrophe (OWASP's advice against formula injection): a
spreadsheet would otherwise run a customer's subject such as `=HYPERLINK(...)` as a formula.
JSON Lines carries the values untouched: it is read by programs, not spreadsheets.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl")
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_STARTS)
# Bytes gathered before the stream hands a piece on: small enough to keep memory flat, big
# enough that a million rows are not a million writes to the socket.
PIECE_BYTES = 64 * 1024
CONTENT_TYPES: dict[Format, str] = {"csv": "text/csv; charset=utf-8",
                                    "jsonl": "application/x-ndjson; charset=utf-8"}


def check_format(value: str) -> Format:
    """The format named; ValueError for any other."""
    for known in FORMATS:
        if value == known:
            return known
    raise ValueError(f"format is one of: {', '.join(FORMATS)}")


def moment_text(value: datetime) -> str:
    """A stored moment as ISO 8601 in UTC, e.g. `2026-11-02T09:30:00Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_value(value: Any) -> Any:
    """A value as JSON carries it: moments in UTC, dates and times ISO, durations in
    seconds, decimals as text; anything else JSON has no type for, as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


def _defused(text: str) -> str:
    return f"'{text}" if text[:1] in FORMULA_FIRST else text


def csv_cell(value: Any) -> str:
    """A value as one CSV cell: empty for None, lists joined by ", ", moments in UTC, and
    text that a spreadsheet would take for a formula defused with a leading apostrophe."""
    # Text and nothing are nearly every cell of an export: they are looked at first.
    if type(value) is str:
        return f"'{value}" if value[:1] in FORMULA_FIRST else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return _defused(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return _defused(json.dumps(json_value(value), ensure_ascii=False, sort_keys=True))
    return _defused(str(value))


def _json_default(value: Any) -> Any:
    """What `json.dumps` cannot write itself, as `json_value` writes it."""
    found = json_value(value)
    return str(found) if found is value else found


def jsonl_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"),
                      default=_json_default) + "\n"


class _Lines:
    """A reusable CSV writer that returns each row as text (RFC 4180: CRLF, quoted as
    needed)."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def line(self, cells: Sequence[str]) -> str:
        self._writer.writerow(cells)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV lines: the byte-order mark and the header first, then a line per row."""
    lines = _Lines()
    yield BOM + lines.line(list(header))
    for row in rows:
        yield lines.line([csv_cell(v) for v in row])


def jsonl_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A JSON object per row, keyed by the header's names."""
    for row in rows:
        yield jsonl_line(dict(zip(header, row, strict=True)))


def encoded(lines: Iterable[str], piece_bytes: int = PIECE_BYTES) -> Iterator[bytes]:
    """The lines as UTF-8, gathered into pieces of about `piece_bytes`."""
    gathered: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode("utf-8")
        gathered.append(data)
        size += len(data)
        if size >= piece_bytes:
            yield b"".join(gathered)
            gathered, size = [], 0
    if gathered:
        yield b"".join(gathered)


def render(fmt: Format, header: Sequence[str], rows: Iterable[Sequence[Any]]
           ) -> Iterator[bytes]:
    """The whole export as a stream of byte pieces."""
    lines = csv_text(header, rows) if fmt == "csv" else jsonl_text(header, rows)
    return encoded(lines)
