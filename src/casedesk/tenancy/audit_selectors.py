"""Reading the audit log: a tenant's entries, newest first, filtered and paged by keyset (the
page `/settings/audit` and `GET /api/v1/audit` read it the same way), and each entry's changes
as rows a person reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.tenancy.audit import SECRET
from casedesk.tenancy.models import AuditEntry, Tenant

MAX_PAGE = 200
SYSTEM = "system"


@dataclass(frozen=True)
class AuditFilters:
    """`action`: a whole action (`routing_rule.updated`) or its kind (`routing_rule`);
    `actor_id`: a user id, or None; `system`: only what no person did; `target_type`;
    `since` (inclusive) and `until` (exclusive)."""

    action: str = ""
    actor_id: int | None = None
    system: bool = False
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: str | None


def _bad_cursor() -> Invalid:
    return Invalid("The cursor is not valid; use next_cursor from a previous page.",
                   field="cursor")


def _before(cursor: str) -> Q:
    """The entries after the cursor's (time, id) in the newest-first order."""
    at_text, last = decode_cursor(cursor, length=2)
    if not isinstance(last, int) or isinstance(last, bool) or not 0 < last <= MAX_ID:
        raise _bad_cursor()
    try:
        at = datetime.fromisoformat(at_text) if isinstance(at_text, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise _bad_cursor()
    return Q(at__lt=at) | Q(at=at, pk__lt=last)


def audit_entries(tenant: Tenant | int, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The tenant's entries matching `filters`, unordered."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    qs = AuditEntry.objects.filter(tenant_id=tenant_id)
    if filters.action:
        qs = (qs.filter(action=filters.action) if "." in filters.action
              else qs.filter(action__startswith=f"{filters.action}."))
    if filters.system:
        qs = qs.filter(actor_id__isnull=True)
    elif filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    if filters.target_id:
        qs = qs.filter(target_id=filters.target_id)
    if filters.since is not None:
        qs = qs.filter(at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(at__lt=filters.until)
    return qs


def audit_page(tenant: Tenant | int, filters: AuditFilters, *, cursor: str | None = None,
               limit: int = 50) -> AuditPage:
    """One page of the tenant's entries, newest first (ties by id), and the cursor of the
    next page (None on the last). The (tenant, -at, -id) index serves it at any depth."""
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is from 1 to {MAX_PAGE}.", field="limit")
    qs = audit_entries(tenant, filters)
    if cursor:
        qs = qs.filter(_before(cursor))
    rows = list(qs.order_by("-at", "-id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.at.isoformat(), last.pk])
    return AuditPage(items=rows[:limit], next_cursor=next_cursor)


def audit_action_kinds(tenant: Tenant | int) -> list[str]:
    """The kinds of action (`routing_rule`, `member`, ...) the tenant's log holds, for the
    page's filter."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    actions = (AuditEntry.objects.filter(tenant_id=tenant_id).order_by()
               .values_list("action", flat=True).distinct())
    return sorted({a.split(".", 1)[0] for a in actions})


def audit_target_types(tenant: Tenant | int) -> list[str]:
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return sorted(AuditEntry.objects.filter(tenant_id=tenant_id).order_by()
                  .values_list("target_type", flat=True).distinct())


@dataclass(frozen=True)
class ChangeRow:
    """One changed field, its old and new value as text (empty: there was none)."""

    field: str
    old: str
    new: str
    is_secret: bool


def shown(value: Any) -> str:
    """A stored value as a person reads it: yes/no, lists by commas, mappings as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_rows(entry: AuditEntry) -> list[ChangeRow]:
    """The entry's changes, field by field, in the order stored."""
    rows = []
    for name, pair in (entry.changes or {}).items():
        old, new = (pair if isinstance(pair, list) and len(pair) == 2 else (None, pair))
        rows.append(ChangeRow(field=name.replace("_", " "), old=shown(old), new=shown(new),
                              is_secret=SECRET in (old, new)))
    return rows
