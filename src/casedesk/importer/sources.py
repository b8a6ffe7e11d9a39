"""Another desk's export, read into one neutral shape (pure: no ORM, no clock).

Each format's reader (`importer.formats`) turns its files into `SourceAccount`,
`SourceContact` and `SourceCase` records, each knowing where it came from (`Where`: a CSV
file and line, a JSON file and record), and into `Problem`s for what it could not read.
Values stay as the old desk spelled them (status "solved", priority "Medium"); translating
them is `importer.planning`'s job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_FILE_BYTES = 512 * 1024 * 1024
csv.field_size_limit(16 * 1024 * 1024)


class SourceError(Exception):
    """A row (or a whole file) that cannot be read; `where` says which."""

    def __init__(self, message: str, where: Where | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where


@dataclass(frozen=True)
class Where:
    """A place in the uploaded files: a CSV line (the header is line 1; a quoted value over
    several lines counts from the line the row starts on) or a JSON record (from 1)."""

    file: str
    line: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file} line {self.line}"
        if self.record is not None:
            return f"{self.file} record {self.record}"
        return self.file


@dataclass(frozen=True)
class Problem:
    where: str
    message: str


@dataclass
class SourceFile:
    """An uploaded or named file: its name (as people know it) and its bytes."""

    name: str
    data: bytes


@dataclass
class SourceAccount:
    external_id: str
    name: str
    where: Where
    domain: str = ""
    # Read off a case's row (Freshdesk, CSV), not from a file of its own: imported only
    # with a case that is.
    embedded: bool = False


@dataclass
class SourceContact:
    external_id: str
    email: str
    where: Where
    name: str = ""
    phone: str = ""
    account_ref: str | None = None
    embedded: bool = False


@dataclass
class SourceNote:
    external_id: str
    body: str
    is_public: bool
    created_at: datetime
    by_customer: bool = False
    author_name: str = ""
    author_email: str = ""


@dataclass
class SourceCase:
    external_id: str
    subject: str
    where: Where
    created_at: datetime
    updated_at: datetime | None = None
    description: str = ""
    status: str = ""
    priority: str = ""
    type: str = ""
    category: str = ""
    subcategory: str = ""
    channel: str = ""
    tags: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    contact_ref: str | None = None
    account_ref: str | None = None
    owner_email: str = ""
    owner_name: str = ""
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    is_closed: bool | None = None
    closed_reason: str = ""
    notes: list[SourceNote] = field(default_factory=list)


@dataclass
class Export:
    """Everything read from one import's files."""

    accounts: list[SourceAccount] = field(default_factory=list)
    contacts: list[SourceContact] = field(default_factory=list)
    cases: list[SourceCase] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Records deliberately left out (an agent of the old desk, a user without an email).
    skipped: list[Problem] = field(default_factory=list)

    def refuse(self, where: Where | str, message: str) -> None:
        self.problems.append(Problem(str(where), message))

    def skip(self, where: Where | str, reason: str) -> None:
        self.skipped.append(Problem(str(where), reason))


def text_of(file: SourceFile) -> str:
    """The file as text: UTF-8 (a byte-order mark is dropped), else refused."""
    if len(file.data) > MAX_FILE_BYTES:
        raise SourceError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                          Where(file.name))
    try:
        return file.data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"not UTF-8 text (byte {error.start}); export it as UTF-8",
                          Where(file.name)) from None


@dataclass(frozen=True)
class CsvRow:
    where: Where
    values: dict[str, str]


def csv_header(file: SourceFile) -> list[str]:
    """The column names of a CSV file (its first line)."""
    reader = csv.reader(io.StringIO(text_of(file), newline=""))
    try:
        return [name.strip() for name in next(reader)]
    except StopIteration:
        raise SourceError("the file is empty", Where(file.name)) from None
    except csv.Error as error:
        raise SourceError(f"not a CSV file ({error})", Where(file.name, line=1)) from None


def csv_rows(file: SourceFile) -> tuple[list[str], Iterator[CsvRow | SourceError]]:
    """The header and the rows of a CSV file, each row by column name with its line; a
    row with more values than the header has columns comes as a SourceError."""
    header = csv_header(file)
    seen = set()
    for name in header:
        if name in seen:
            raise SourceError(f"the column {name!r} appears twice", Where(file.name, line=1))
        seen.add(name)

    def rows() -> Iterator[CsvRow | SourceError]:
        reader = csv.reader(io.StringIO(text_of(file), newline=""))
        next(reader)
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield SourceError(f"unreadable CSV ({error})", Where(file.name, line=start))
                return
            where = Where(file.name, line=start)
            start = reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                yield SourceError(f"{len(values)} values for {len(header)} columns", where)
                continue
            yield CsvRow(where, {name: (values[i].strip() if i < len(values) else "")
                                 for i, name in enumerate(header)})

    return header, rows()


def good_rows(export: Export, file: SourceFile,
              rows: Iterator[CsvRow | SourceError]) -> Iterator[CsvRow]:
    """The rows of `csv_rows` that could be read; each one that could not is refused with its
    place."""
    for row in rows:
        if isinstance(row, SourceError):
            export.refuse(row.where or file.name, row.message)
        else:
            yield row


def json_records(file: SourceFile) -> Iterator[tuple[Where, Any]]:
    """The records of a JSON file: newline-delimited JSON (one object a line, as Zendesk's
    full export writes), a JSON array, or an object holding arrays by kind (an API page:
    {"tickets": [...], "users": [...]}: each record's kind is its key)."""
    text = text_of(file)
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        except RecursionError:
            raise SourceError("nested too deeply to be an export", Where(file.name)) from None
        if isinstance(whole, list):
            for index, item in enumerate(whole, 1):
                yield Where(file.name, record=index), item
            return
        if isinstance(whole, dict):
            arrays = {k: v for k, v in whole.items() if isinstance(v, list)}
            if arrays and all(isinstance(v, dict) for a in arrays.values() for v in a):
                index = 0
                for key, items in arrays.items():
                    for item in items:
                        index += 1
                        yield Where(file.name, record=index), {"__kind__": key, **item}
                return
            yield Where(file.name, record=1), whole
            return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = Where(file.name, line=number)
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            record = SourceError(f"not JSON ({error.msg} at column {error.colno})", where)
        except RecursionError:
            record = SourceError("nested too deeply to be a record", where)
        yield where, record


_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%d/%m/%Y %H:%M", "%d/%m/%Y",
            "%d %b %Y %H:%M", "%b %d, %Y %I:%M %p")


def parse_time(value: Any, *, name: str) -> datetime | None:
    """A moment as the exports write it: ISO 8601 (`2024-03-01T09:15:00Z`, with an offset or
    fractions), `2024-03-01 09:15:00 +0100`, `01/03/2024 09:15` (day first), Unix seconds;
    without an offset it is UTC. Empty → None; anything else → SourceError naming the
    field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise SourceError(f"{name}: {value!r} is not a time") from None
    if not isinstance(value, str):
        raise SourceError(f"{name}: {value!r} is not a time")
    text = value.strip()
    moment = None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _FORMATS:
            try:
                # Naive unless the pattern has an offset: UTC is set below.
                moment = datetime.strptime(text, pattern)  # noqa: DTZ007
                break
            except ValueError:
                continue
    if moment is None:
        raise SourceError(f"{name}: {value!r} is not a time (use ISO 8601, e.g. "
                          "2024-03-01T09:15:00Z)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 2999:
        raise SourceError(f"{name}: {value!r} is out of range")
    return moment.astimezone(UTC)


def parse_bool(value: Any, *, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    raise SourceError(f"{name}: {value!r} is not true or false")


def split_tags(value: str) -> list[str]:
    """Tags as exports write them in one cell: comma- or space-separated."""
    parts = value.split(",") if "," in value else value.split()
    return [p.strip() for p in parts if p.strip()]


def text_value(value: Any, *, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise SourceError(f"{name}: expected text, not {type(value).__name__}")


def id_value(value: Any, *, name: str) -> str | None:
    """An id as text (Zendesk's numbers, Salesforce's 18-character ids); None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SourceError(f"{name}: {value!r} is not an id")
    text = str(value).strip()
    if len(text) > 255:
        raise SourceError(f"{name}: an id has at most 255 characters")
    return text or None
