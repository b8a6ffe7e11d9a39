"""What every console page shows around its content: tenant switcher and the bell."""

from functools import cache
from typing import Any

from django.http import HttpRequest

from casedesk.notifications.selectors import unread_count
from casedesk.tenancy.models import Availability
from casedesk.tenancy.web import memberships_of


def console(request: HttpRequest) -> dict[str, Any]:
    """The layout's values. The bell's count and the tenant list are callables, read at most
    once and only by a template that shows them (a template calls a callable it looks up):
    the htmx fragments (panels, polls) render with this processor too and show neither."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "membership": membership,
        "memberships": cache(lambda: memberships_of(request)),
        "unread_count": cache(lambda: unread_count(membership)),
        "availabilities": Availability.choices,
    }
