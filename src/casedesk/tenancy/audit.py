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

from django.utils import timezone

from .models import AuditEntry, Tenant, User

SECRET = "(secret)"
VIA_CHOICES = ("web", "api", "cli", "worker", "mcp")


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
    `audit_diff(old, new)`."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return AuditEntry.objects.create(
        tenant_id=tenant_id,
        at=now or timezone.now(),
        actor=actor,
        actor_label=(actor_label or actor_label_for(actor))[:254],
        via=via[:20],
        action=action[:80],
        target_type=target_type[:50],
        target_id=str(target_id if target_id is not None else "")[:64],
        target_label=target_label[:200],
        changes=audit_value(dict(changes or {})),
        detail=audit_value(dict(detail or {})),
    )
