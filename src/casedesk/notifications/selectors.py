"""Reads of a member's notifications."""

from django.db.models import QuerySet

from casedesk.notifications.models import Notification
from casedesk.tenancy.models import Membership


def unread_count(membership: Membership) -> int:
    return Notification.objects.filter(tenant_id=membership.tenant_id,
                                       recipient_id=membership.user_id,
                                       read_at__isnull=True).count()


def recent(membership: Membership, limit: int = 50) -> QuerySet[Notification]:
    return (Notification.objects.filter(tenant_id=membership.tenant_id,
                                        recipient_id=membership.user_id)
            .select_related("actor", "case__tenant").order_by("-id")[:limit])
