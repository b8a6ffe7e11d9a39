"""CSAT reads, tenant-scoped by construction: a case's survey and the tenant's results."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from casedesk.cases.models import Case
from casedesk.core.cursors import decode_cursor, encode_cursor
from casedesk.core.errors import Invalid
from casedesk.core.schemas import MAX_ID
from casedesk.csat.models import Survey
from casedesk.tenancy.models import Tenant


def survey_of_case(case: Case) -> Survey | None:
    return Survey.objects.filter(tenant_id=case.tenant_id, case=case).first()


def case_csat(case: Case) -> dict[str, Any] | None:
    """The case's answer as the cases API shows it (`cases.hooks`); None: not answered."""
    survey = survey_of_case(case)
    if survey is None or survey.rating is None:
        return None
    return {"rating": survey.rating, "comment": survey.comment,
            "answered_at": survey.answered_at}


# The ratings each filter of the case list takes (`cases.hooks.csat_condition`): good is 4
# or 5 (good on good/bad is 5), bad 1 or 2 (`config.is_bad`), rated any answer.
_RATINGS = {"good": Q(rating__gte=4), "bad": Q(rating__lte=2), "rated": Q(rating__isnull=False)}


def cases_with_answer(tenant_id: int, answer: str, since: datetime | None = None,
                      until: datetime | None = None) -> Q:
    """The condition on cases whose survey answer is `answer` (good, bad, rated), given in
    [since, until) when those are set (the scorecard's CSAT tile lists its period's)."""
    surveys = Survey.objects.filter(_RATINGS[answer], tenant_id=tenant_id)
    if since is not None:
        surveys = surveys.filter(answered_at__gte=since)
    if until is not None:
        surveys = surveys.filter(answered_at__lt=until)
    return Q(pk__in=surveys.values("case_id"))


@dataclass(frozen=True)
class SurveyFilters:
    since: datetime | None = None  # sent at or after
    until: datetime | None = None  # sent before
    rating: int | None = None
    answered: bool | None = None


@dataclass(frozen=True)
class SurveyPage:
    items: list[Survey]
    next_cursor: str | None


def survey_list(tenant: Tenant, filters: SurveyFilters, *, cursor: str | None = None,
                limit: int = 50) -> SurveyPage:
    """The tenant's surveys, latest sent first (by id: a survey is made when it is sent)."""
    qs = Survey.objects.filter(tenant=tenant)
    if filters.since is not None:
        qs = qs.filter(sent_at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(sent_at__lt=filters.until)
    if filters.rating is not None:
        qs = qs.filter(rating=filters.rating)
    if filters.answered is not None:
        qs = qs.filter(rating__isnull=not filters.answered)
    if cursor:
        (last,) = decode_cursor(cursor, length=1)
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= MAX_ID:
            raise Invalid("The cursor is not valid; use next_cursor from a previous page.",
                          field="cursor")
        qs = qs.filter(Q(pk__lt=last))
    rows = list(qs.select_related("case", "case__tenant").order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor([rows[limit - 1].pk]) if len(rows) > limit else None
    return SurveyPage(items=rows[:limit], next_cursor=next_cursor)
