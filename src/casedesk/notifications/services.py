"""Writes for notifications. Callers run inside their own transaction, so a notification
exists exactly when the change that caused it does."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from casedesk.notifications.models import Notification
from casedesk.tenancy.models import User


class CaseRef(Protocol):
    """The case a notification is about (a `cases.Case`: notifications stand on a lower
    floor than cases, so they know it only by its id and tenant)."""

    @property
    def pk(self) -> Any: ...

    @property
    def tenant_id(self) -> int: ...


@dataclass(frozen=True)
class Notice:
    """One notification to write: to whom, about which case, what it says."""

    tenant_id: int
    recipient_id: int
    case_id: int | None  # None: a notice about no case (a task, a webhook switched off)
    kind: str
    message: str
    actor_id: int | None = None


def notices_write(notices: Iterable[Notice], now: datetime) -> list[Notification]:
    """The one writer of notifications: the case services and the sweeps call it, inside
    their own transaction. Messages are cut to what the column holds."""
    rows = [Notification(tenant_id=n.tenant_id, recipient_id=n.recipient_id,
                         actor_id=n.actor_id, kind=n.kind, case_id=n.case_id,
                         message=n.message[:500], created_at=now) for n in notices]
    return Notification.objects.bulk_create(rows, batch_size=2000)


def notify(*, case: CaseRef, recipients: Iterable[int], actor: User | None, kind: str,
           message: str, now: datetime) -> list[Notification]:
    """One notification per recipient (user ids), never to the actor themselves."""
    actor_id = actor.pk if actor is not None else None
    return notices_write([
        Notice(tenant_id=case.tenant_id, recipient_id=user_id, case_id=case.pk, kind=kind,
               message=message, actor_id=actor_id)
        for user_id in dict.fromkeys(recipients) if user_id != actor_id
    ], now)


def notifications_mark_read(*, tenant_id: int, recipient: User, now: datetime,
                            ids: Iterable[int] | None = None) -> int:
    """Marks the given notifications (or all) of `recipient` read; returns how many."""
    qs = Notification.objects.filter(tenant_id=tenant_id, recipient=recipient,
                                     read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now)
