"""The audit log's one writer: changes of configuration and access, exports and erasures.

Every app above `tenancy` records through `audit_record`, inside the transaction of the change
it records, so an entry exists exactly when the change committed. Values are stored as JSON;
secrets are never passed in (callers mask them with `SECRET`), and an erasure records the
kinds of data it removed, never the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from django.db import models

from casedesk.core import clock
from casedesk.core.origin import VIAS, current_origin

from .models import AuditEntry, Tenant, User

SECRET = "(secret)"
VIA_CHOICES = VIAS


def audit_value(value: Any) -> Any:
    """A value as the log stores it: JSON-safe and readable (times as ISO text, durations in
    seconds, model rows by their primary key)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return audit_value(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): audit_value(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [audit_value(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def audit_diff(old: Mapping[str, Any], new: Mapping[str, Any], *,
               secret: Iterable[str] = ()) -> dict[str, list[Any]]:
    """The fields whose value changed, as `{field: [old, new]}`; a secret field that changed
    shows only that it did."""
    hidden = set(secret)
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        before, after = audit_value(old.get(key)), audit_value(new.get(key))
        if before == after:
            continue
        changes[key] = [SECRET, SECRET] if key in hidden else [before, after]
    return changes


def audit_snapshot(row: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` on `row` as the log stores them (a foreign key by its id), to
    diff before and after a change."""
    return {name: audit_value(getattr(row, name)) for name in fields}


def updated_action(thing: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """`<thing>.enabled` or `<thing>.disabled` when only `is_enabled` moved (the list pages'
    switch), else `<thing>.updated`: the log's filter tells switching apart from editing."""
    moved = {k for k in set(before) | set(after)
             if audit_value(before.get(k)) != audit_value(after.get(k))}
    if moved == {"is_enabled"}:
        return f"{thing}.{'enabled' if after['is_enabled'] else 'disabled'}"
    return f"{thing}.updated"


def actor_label_for(actor: User | None, *, fallback: str = "system") -> str:
    if actor is None:
        return fallback
    return actor.email


def audit_record(*, tenant: Tenant | int, actor: User | None, action: str, target_type: str,
                 target_id: object = "", target_label: str = "",
                 changes: Mapping[str, Any] | None = None,
                 detail: Mapping[str, Any] | None = None, via: str = "",
                 actor_label: str = "", now: datetime | None = None) -> AuditEntry:
    """Record one audited change. `action` is `<thing>.<verb>` (e.g. `routing_rule.updated`,
    `member.role_changed`, `export.cases`, `contact.erased`); `changes` is usually
    `audit_diff(old, new)`.

    Who and which way in, when the caller does not say: the request's or command's origin
    (`casedesk.core.origin`): the signed-in user of a page, the token's user on the API;
    "system" when no one is known (the worker, a test calling the service)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    here = current_origin()
    actor_id = actor.pk if actor is not None else here.user_id
    if not actor_label:
        actor_label = (actor.email if actor is not None
                       else here.user_label if here.user_id is not None else "system")
    return AuditEntry.objects.create(
        tenant_id=tenant_id,
        at=now or clock.now(),
        actor_id=actor_id,
        actor_label=actor_label[:254],
        via=(via or here.via)[:20],
        action=action[:80],
        target_type=target_type[:50],
        target_id=str(target_id if target_id is not None else "")[:64],
        target_label=target_label[:200],
        changes=audit_value(dict(changes or {})),
        detail=audit_value(dict(detail or {})),
    )


def audit_change(*, tenant: Tenant | int, actor: User | None, action: str, target_type: str,
                 target_id: object, target_label: str = "", before: Mapping[str, Any],
                 after: Mapping[str, Any], secret: Iterable[str] = (),
                 detail: Mapping[str, Any] | None = None) -> AuditEntry | None:
    """Records an update as the fields that changed, old and new; nothing when nothing did
    (saving a form unchanged is not a change)."""
    changes = audit_diff(before, after, secret=secret)
    if not changes:
        return None
    return audit_record(tenant=tenant, actor=actor, action=action, target_type=target_type,
                        target_id=target_id, target_label=target_label, changes=changes,
                        detail=detail)


def audit_created(*, tenant: Tenant | int, actor: User | None, action: str, target_type: str,
                  target_id: object, target_label: str = "", values: Mapping[str, Any],
                  secret: Iterable[str] = ()) -> AuditEntry:
    """Records a creation: every value as new (`[null, value]`), secrets masked."""
    return audit_record(tenant=tenant, actor=actor, action=action, target_type=target_type,
                        target_id=target_id, target_label=target_label,
                        changes=audit_diff({}, values, secret=secret))


def audit_deleted(*, tenant: Tenant | int, actor: User | None, action: str, target_type: str,
                  target_id: object, target_label: str = "", values: Mapping[str, Any],
                  secret: Iterable[str] = ()) -> AuditEntry:
    """Records a deletion: every value as it was (`[value, null]`), secrets masked."""
    return audit_record(tenant=tenant, actor=actor, action=action, target_type=target_type,
                        target_id=target_id, target_label=target_label,
                        changes=audit_diff(values, {}, secret=secret))
