"""The case list's columns and the sort links of their headers: every column it shows sorts
both ways (`cases.list_sort`)."""

from dataclasses import dataclass

from django.http import QueryDict


@dataclass(frozen=True)
class Column:
    key: str  # the sort's column name (`cases.list_sort.SORTS` without the `-`)
    label: str
    first: str  # the sort a first click asks for: what people look for first in it
    css: str = ""
    # Age shows how long ago a case came in, so newest first is its ascending order.
    shows_age: bool = False


COLUMNS = (
    Column("number", "Case", "-number"),
    Column("subject", "Subject", "subject"),
    Column("status", "Status", "status"),
    Column("priority", "Priority", "-priority"),
    Column("sla", "SLA", "sla"),
    Column("queue", "Queue", "queue", "opt"),
    Column("owner", "Owner", "owner", "opt"),
    Column("contact", "Contact", "contact", "opt"),
    Column("account", "Account", "account", "opt"),
    Column("created", "Age", "-created", "opt", shows_age=True),
    Column("updated", "Updated", "-updated", "opt"),
)


@dataclass(frozen=True)
class Header:
    column: Column
    query: str  # the query string its link asks for: the same filters, this sort, page one
    aria_sort: str  # "ascending" or "descending" on the column sorted by, else ""
    arrow: str


def _opposite(sort: str) -> str:
    return sort.removeprefix("-") if sort.startswith("-") else f"-{sort}"


def sort_headers(query: QueryDict, current: str) -> list[Header]:
    """Each column's header: its link sorts by it (the other way round when it already does)
    and keeps every other parameter but the page's cursor."""
    headers = []
    for column in COLUMNS:
        params = query.copy()
        params.pop("cursor", None)
        active = current.removeprefix("-") == column.key
        params["sort"] = _opposite(current) if active else column.first
        aria = arrow = ""
        if active:
            ascending = current.startswith("-") == column.shows_age
            aria = "ascending" if ascending else "descending"
            arrow = "↑" if ascending else "↓"
        headers.append(Header(column, params.urlencode(), aria, arrow))
    return headers
