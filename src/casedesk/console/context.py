"""What every console page shows around its content: tenant switcher and the bell."""

from typing import Any

from django.http import HttpRequest

from casedesk.notifications.selectors import unread_count
from casedesk.tenancy.models import Availability
from casedesk.tenancy.web import memberships_of


def console(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "membership": membership,
        "memberships": memberships_of(request),
        "unread_count": unread_count(membership),
        "availabilities": Availability.choices,
    }
