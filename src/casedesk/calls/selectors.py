"""Reads of calls, always within the case's (and so the tenant's) rows."""

from django.db.models import QuerySet

from casedesk.calls.models import Call
from casedesk.cases.models import Case

RELATED = ("logged_by", "case", "case__tenant")


def calls_of_case(case: Case, *, limit: int | None = None) -> list[Call]:
    """The case's calls, the latest first (by when they started, then as logged)."""
    rows = (
        Call.objects.filter(tenant_id=case.tenant_id, case=case)
        .select_related("logged_by")
        .order_by("-started_at", "-pk")
    )
    found = list(rows[:limit] if limit is not None else rows)
    for call in found:
        call.case = case  # read already: the presenters name its number
    return found


def tenant_calls(tenant_id: int) -> QuerySet[Call]:
    """Every call of the tenant, with what the presenters show."""
    return Call.objects.filter(tenant_id=tenant_id).select_related(*RELATED)
