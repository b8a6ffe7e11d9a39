"""Filtered lists as CSV or JSON Lines, streamed: cases, contacts, accounts.

Each list is read with the filters its own list uses (`cases.selectors.cases_matching` with the
`CaseFilters` the console's form or the API's parameters make, `crm.selectors`' filters), as
plain value rows over a server-side cursor (`QuerySet.iterator`: a named cursor on
PostgreSQL, read inside a transaction so the server need not keep a copy of the whole result
for a cursor WITH HOLD), so memory stays flat however many rows there are. Related names come
in the same query (joins) or from a small dictionary read once (queues, people): never a
query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import connections, transaction
from django.db.models import QuerySet

from casedesk.cases.models import CustomFieldDefinition
from casedesk.cases.selectors import CaseFilters, cases_matching
from casedesk.core.priority import Priority
from casedesk.crm.selectors import account_filter, contact_filter
from casedesk.exporter.rows import Format, render
from casedesk.routing.models import Queue
from casedesk.tenancy.audit import audit_record
from casedesk.tenancy.models import Membership, Tenant, User

CHUNK = 2000  # rows fetched from the server-side cursor at a time

CASE_COLUMNS = (
    ("number", "number"), ("subject", "subject"), ("description", "description"),
    ("status", "status"), ("sub_status", "sub_status"), ("priority", "priority"),
    ("type", "type"), ("category", "category"), ("subcategory", "subcategory"),
    ("source", "source"), ("language", "language"), ("queue", "queue_id"),
    ("owner", "owner_id"), ("owner_email", "owner_id"), ("account_id", "account_id"),
    ("account", "account__name"), ("contact_id", "contact_id"),
    ("contact_name", "contact__name"), ("contact_email", "contact__email"),
    ("tags", "tags"), ("created_at", "created_at"), ("updated_at", "updated_at"),
    ("first_response_at", "first_response_at"), ("resolved_at", "resolved_at"),
    ("closed_at", "closed_at"), ("closed_reason", "closed_reason"),
    ("reopen_count", "reopen_count"), ("first_response_due_at", "first_response_due_at"),
    ("resolution_due_at", "resolution_due_at"),
    ("first_response_breached_at", "first_response_breached_at"),
    ("resolution_breached_at", "resolution_breached_at"),
    ("merged_into", "merged_into__number"),
)
CONTACT_COLUMNS = ("id", "name", "email", "phone", "account_id", "account",
                   "is_portal_admin", "last_portal_visit_at", "created_at", "updated_at")
ACCOUNT_COLUMNS = ("id", "name", "domain", "tier", "segment", "territory", "created_at",
                   "updated_at")


@dataclass
class ListExport:
    """A list ready to stream: its name, header and a reader of its rows that touches the
    database only when iterated."""

    kind: str
    header: list[str]
    rows: Callable[[], Iterator[Sequence[Any]]]
    filters: dict[str, Any] = field(default_factory=dict)


def _reading(db: str) -> AbstractContextManager[Any]:
    """A transaction around the read on PostgreSQL (a named cursor then needs no WITH HOLD
    copy); none on SQLite, where the settings make every transaction take the write lock
    and a long export would hold up every writer."""
    if connections[db].vendor == "postgresql":
        return transaction.atomic(using=db)
    return nullcontext()


def streamed(qs: QuerySet[Any, Any], chunk: int | None = None) -> Iterator[Any]:
    """The query's rows over a server-side cursor, `chunk` (else `CHUNK`) at a time."""
    with _reading(qs.db):
        yield from qs.iterator(chunk_size=chunk or CHUNK)


def _people(tenant: Tenant) -> dict[int, tuple[str, str]]:
    """(name, email) of everyone who is or was a member of the tenant, by user id."""
    return {m.user_id: (m.user.display_name, m.user.email)
            for m in Membership.objects.filter(tenant=tenant).select_related("user")}


def _numbered(i: int, prefix: str) -> Callable[[Sequence[Any]], str | None]:
    def read(values: Sequence[Any]) -> str | None:
        return None if values[i] is None else prefix + str(values[i])

    return read


def _looked_up(i: int, names: Mapping[Any, Any], missing: Any) -> Callable[[Sequence[Any]], Any]:
    """Column `i` through `names` (what it is not found in: `missing`, or the value itself
    when `missing` is None)."""
    def read(values: Sequence[Any]) -> Any:
        value = values[i]
        return names.get(value, value if missing is None else missing)

    return read


def case_export(tenant: Tenant, filters: CaseFilters, fmt: Format) -> ListExport:
    """The cases the filters match, newest first. CSV gives each of the tenant's custom
    fields a column `cf:<key>`; JSON Lines carries them as one object."""
    custom_keys = list(CustomFieldDefinition.objects.filter(tenant=tenant)
                       .order_by("position", "key").values_list("key", flat=True))
    header = [name for name, _ in CASE_COLUMNS]
    header += [f"cf:{key}" for key in custom_keys] if fmt == "csv" else ["custom_fields"]
    sources = list(dict.fromkeys(src for _, src in CASE_COLUMNS)) + ["custom_fields"]
    where = {src: i for i, src in enumerate(sources)}

    def rows() -> Iterator[Sequence[Any]]:
        prefix = f"{tenant.case_prefix}-"
        queues = dict(Queue.objects.filter(tenant=tenant).values_list("pk", "name"))
        people = _people(tenant)
        labels = {p.value: p.label for p in Priority}
        # How each column is read from the row of values: most as they are, a few through
        # the names read once above.
        readers: list[Callable[[Sequence[Any]], Any]] = []
        for name, src in CASE_COLUMNS:
            i = where[src]
            if name in ("number", "merged_into"):
                readers.append(_numbered(i, prefix))
            elif name == "priority":
                readers.append(_looked_up(i, labels, None))
            elif name == "queue":
                readers.append(_looked_up(i, queues, ""))
            elif name in ("owner", "owner_email"):
                slot = 0 if name == "owner" else 1
                readers.append(_looked_up(i, {k: v[slot] for k, v in people.items()}, ""))
            else:
                readers.append(itemgetter(i))
        last = len(sources) - 1
        qs = cases_matching(tenant, filters).order_by("-number").values_list(*sources)
        for values in streamed(qs):
            out = [read(values) for read in readers]
            custom = values[last] if isinstance(values[last], dict) else {}
            if fmt == "csv":
                out += [custom.get(key) for key in custom_keys]
            else:
                out.append(custom)
            yield out

    return ListExport("cases", header, rows)


def contact_export(tenant: Tenant, *, q: str | None, account_id: int | None,
                   email: str | None = None) -> ListExport:
    """The contacts the contact list's filters match, by name."""
    qs = (contact_filter(tenant, q, account_id, email=email).order_by("name", "pk")
          .values_list("pk", "name", "email", "phone", "account_id", "account__name",
                       "is_portal_admin", "last_portal_visit_at", "created_at", "updated_at"))
    return ListExport("contacts", list(CONTACT_COLUMNS), lambda: streamed(qs))


def account_export(tenant: Tenant, *, q: str | None,
                   fields: tuple[str, ...] = ("name", "domain")) -> ListExport:
    """The accounts the account list's search matches (`fields`: what `q` searches), by
    name."""
    qs = (account_filter(tenant, q, fields=fields).order_by("name", "pk")
          .values_list("pk", "name", "domain", "tier", "segment", "territory", "created_at",
                       "updated_at"))
    return ListExport("accounts", list(ACCOUNT_COLUMNS), lambda: streamed(qs))


def filters_given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The filters a request set, for the audit log: blanks, falses and empties left out."""
    return {k: v for k, v in values.items() if v not in (None, "", False, [], ())}


def file_name(kind: str, tenant: Tenant, fmt: Format, now: datetime) -> str:
    return f"{kind}-{tenant.slug}-{now:%Y%m%d-%H%M%S}.{fmt}"


def list_export_start(*, tenant: Tenant, actor: User | None, export: ListExport, fmt: Format,
                      now: datetime) -> Iterator[bytes]:
    """Records the export in the audit log (`export.<kind>`, with the filters and the
    format) and returns the stream of its bytes. The record is written when the export
    starts: what left the desk is what was asked for, whether or not the download ends."""
    audit_record(tenant=tenant, actor=actor, action=f"export.{export.kind}",
                 target_type="export", target_label=export.kind,
                 detail={"format": fmt, "filters": export.filters}, now=now)
    return render(fmt, export.header, export.rows())
