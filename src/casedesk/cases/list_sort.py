"""How the case list sorts: by each column it shows, ascending or descending, in a total
order that a keyset cursor continues without duplicates or gaps.

A sort is (key, number). Ties on the key go newest first whichever way the key runs: the
list's indexes all end in `-number`, and "the newest of the urgent ones first" is what people
read a tie as. A key a case may lack (no owner, no queue, no contact, no account, no running
SLA clock) puts those cases last in both directions: they are not what a sort by that column
looks for. Names sort case-insensitively as shown (a person's full name, else their email).
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Least, Lower, NullIf, Substr
from django.utils.dateparse import parse_datetime

from casedesk.cases import models
from casedesk.cases.lifecycle import Status
from casedesk.cases.models import OPEN_STATUS_VALUES
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.priority import Priority

CaseSort = Literal[
    "-number", "number", "subject", "-subject", "status", "-status", "-priority", "priority",
    "sla", "-sla", "queue", "-queue", "owner", "-owner", "contact", "-contact",
    "account", "-account", "-created", "created", "-updated", "updated",
]
SORTS: tuple[str, ...] = get_args(CaseSort)
DEFAULT_SORT = "-number"
SORT_HELP = (
    "Sort order: a column, `-` in front for descending. `number`; `subject`; `status` "
    "(lifecycle order: new … closed); `priority` (low … urgent); `sla` (the running SLA "
    "clock that comes due first: overdue first when ascending); `queue`, `owner`, "
    "`contact`, `account` (by the name shown, case-insensitive); `created`; `updated`. "
    "Ties go newest first. Cases without the value (no owner, no running SLA clock, …) "
    "come last in both directions. Default `-number` (newest first).")
# Text sorts by its first 100 characters (a subject runs to 255): the rest rarely decides an
# order people read, and it keeps a cursor within the API's 2,000 characters whatever the
# script (JSON spells a character outside the BMP in 12).
MAX_TEXT_KEY = 100
_KEY = "list_sort_key"  # the annotation a sort orders and pages by
# Stands in for "no clock" inside LEAST: SQLite's LEAST is NULL when any argument is.
_NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def _text(expression: Combinable | str) -> Combinable:
    return Substr(Lower(expression), 1, MAX_TEXT_KEY)


def _display_name(relation: str, name: str) -> Combinable:
    return _text(Coalesce(NullIf(F(f"{relation}__{name}"), Value("")),
                          F(f"{relation}__email"), output_field=CharField()))


def _never(expression: Combinable) -> Combinable:
    return Coalesce(expression, Value(_NEVER, output_field=DateTimeField()),
                    output_field=DateTimeField())


def _sla_due() -> Combinable:
    """When the first running SLA clock of an open case comes due (breached ones included,
    as the list's SLA badge shows them first); None when no clock runs."""
    first_response = Case(When(first_response_at__isnull=True, then=F("first_response_due_at")),
                          default=None, output_field=DateTimeField())
    nearest = Least(_never(first_response), _never(F("resolution_due_at")),
                    _never(F("next_response_due_at")), output_field=DateTimeField())
    return Case(When(status__in=OPEN_STATUS_VALUES,
                     then=NullIf(nearest, Value(_NEVER, output_field=DateTimeField()))),
                default=None, output_field=DateTimeField())


@dataclass(frozen=True)
class SortKey:
    kind: Literal["text", "datetime"]
    nullable: bool
    expression: Callable[[], Combinable]


# Columns of a few values whose list index ends in `-number` (case_list_status,
# case_list_priority): a page is read one value after the other down that index, so these
# sorts cost what the default order costs instead of a sort of every filtered case.
GROUPED: dict[str, tuple[str, tuple[str | int, ...]]] = {
    "status": ("status", tuple(s.value for s in Status)),  # lifecycle order
    "priority": ("priority", tuple(int(p) for p in Priority)),
}
SORT_KEYS: dict[str, SortKey] = {
    "subject": SortKey("text", False, lambda: _text("subject")),
    "sla": SortKey("datetime", True, _sla_due),
    "queue": SortKey("text", True, lambda: _text("queue__name")),
    "owner": SortKey("text", True, lambda: _display_name("owner", "full_name")),
    "contact": SortKey("text", True, lambda: _display_name("contact", "name")),
    "account": SortKey("text", True, lambda: _text("account__name")),
    "created": SortKey("datetime", False, lambda: F("created_at")),
    "updated": SortKey("datetime", False, lambda: F("updated_at")),
}


def parse_sort(sort: str) -> tuple[str, bool]:
    """(column, descending) for a sort such as `-updated`; Invalid for anything else."""
    text = sort.strip()
    if text not in SORTS:
        columns = ", ".join(s for s in SORTS if not s.startswith("-"))
        raise Invalid(f"Unknown sort {sort[:40]!r}; sort by one of: {columns} "
                      "(prefix - for descending).", field="sort")
    return text.removeprefix("-"), text.startswith("-")


def _number(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 2**63:
        return raw
    raise Invalid("The cursor is not valid.", field="cursor")


def _key_value(key: SortKey, raw: Any) -> Any:
    """A cursor's key value, checked against the kind of key it continues."""
    if raw is None and key.nullable:
        return None
    value: Any = None
    if key.kind == "text":
        value = raw if isinstance(raw, str) and len(raw) <= MAX_TEXT_KEY else None
    elif isinstance(raw, str):
        try:
            value = parse_datetime(raw)
            if value is not None and value.tzinfo is not None:
                value.astimezone(UTC)  # a forged offset can push it out of datetime's range
        except (ValueError, OverflowError):
            value = None
    if value is None:
        raise Invalid("The cursor is not valid.", field="cursor")
    return value


def _after(key: SortKey, descending: bool, value: Any, number: int) -> Q:
    """The rows that come after (value, number) in this order."""
    if value is None:  # within the trailing cases without the value
        return Q(**{f"{_KEY}__isnull": True, "number__lt": number})
    beyond = (Q(**{f"{_KEY}__{'lt' if descending else 'gt'}": value})
              | Q(**{_KEY: value, "number__lt": number}))
    return beyond | Q(**{f"{_KEY}__isnull": True}) if key.nullable else beyond


def sorted_page(qs: QuerySet[models.Case], sort: str, *, cursor: str | None, limit: int,
                narrowed: Mapping[str, Collection[str | int] | None] | None = None,
                ) -> tuple[list[models.Case], str | None]:
    """One keyset page of `qs` in `sort` order, and the cursor of the next (None at the end).
    A cursor made under another sort is refused rather than read as a position in this one.
    `narrowed`: the values `qs`'s filters already limit a `GROUPED` column to (the statuses
    asked for), whose other values are not read at all."""
    column, descending = parse_sort(sort)
    if column == "number":
        # The default order keeps its one-value cursor and its plain index walk.
        if cursor:
            (last,) = decode_cursor(cursor, length=1)
            qs = qs.filter(**{f"number__{'lt' if descending else 'gt'}": _number(last)})
        rows = list(qs.order_by("-number" if descending else "number")[: limit + 1])
        more = len(rows) > limit
        return rows[:limit], encode_cursor([rows[limit - 1].number]) if more else None
    name = sort.strip()
    if column in GROUPED:
        return _grouped_page(qs, name, column, descending, cursor=cursor, limit=limit,
                             only=(narrowed or {}).get(column))
    key = SORT_KEYS[column]
    qs = qs.annotate(**{_KEY: key.expression()})
    if cursor:
        raw_value, number = _continued(cursor, name)
        qs = qs.filter(_after(key, descending, _key_value(key, raw_value), number))
    order = F(_KEY).desc(nulls_last=key.nullable or None) if descending else (
        F(_KEY).asc(nulls_last=key.nullable or None))
    # The order is found on the cases' own columns (and the one relation a name comes from)
    # before the page's rows are read with their related records: a sort that has no index
    # then sorts narrow rows, not every filtered case joined to six tables.
    keys = list(qs.select_related(None).order_by(order, "-number")
                .values_list("pk", "number", _KEY)[: limit + 1])
    found = {c.pk: c for c in qs.filter(pk__in=[pk for pk, _, _ in keys[:limit]]).order_by()}
    rows = [found[pk] for pk, _, _ in keys[:limit] if pk in found]
    if len(keys) <= limit:
        return rows, None
    _, number, value = keys[limit - 1]
    return rows, encode_cursor([name, value.isoformat() if isinstance(value, datetime)
                                else value, number])


def _continued(cursor: str, name: str) -> tuple[Any, int]:
    """The (key value, number) a cursor of the sort `name` left off at."""
    raw_sort, raw_value, raw_number = decode_cursor(cursor, length=3)
    if raw_sort != name:
        raise Invalid("This cursor belongs to another sort order; start from the first page.",
                      field="cursor")
    return raw_value, _number(raw_number)


def _grouped_page(qs: QuerySet[models.Case], name: str, column: str, descending: bool, *,
                  cursor: str | None, limit: int, only: Collection[str | int] | None
                  ) -> tuple[list[models.Case], str | None]:
    """A page of a `GROUPED` sort: each value's cases newest first down its index, the values
    in their order, until the page is full. The cursor holds the value's place and the
    number. Values outside `only` are skipped: asked for beside a filter that excludes them,
    the database would walk all their cases to find none."""
    field, values = GROUPED[column]
    places = list(range(len(values)))[::-1] if descending else list(range(len(values)))
    start, below = places[0], None
    if cursor:
        place, below = _continued(cursor, name)
        if not (isinstance(place, int) and not isinstance(place, bool) and place in places):
            raise Invalid("The cursor is not valid.", field="cursor")
        start = place
    rows: list[tuple[int, models.Case]] = []
    for place in places[places.index(start):]:
        if only is not None and values[place] not in only:
            continue
        group = qs.filter(**{field: values[place]})
        if below is not None and place == start:
            group = group.filter(number__lt=below)
        rows += [(place, c) for c in group.order_by("-number")[: limit + 1 - len(rows)]]
        if len(rows) > limit:
            break
    if len(rows) <= limit:
        return [c for _, c in rows], None
    place, last_row = rows[limit - 1]
    return [c for _, c in rows[:limit]], encode_cursor([name, place, last_row.number])
