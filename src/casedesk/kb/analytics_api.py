"""Deflection analytics over the API (`GET /kb/analytics`): per-article figures, the tenant's
totals and the content gaps of a period (`kb.analytics` defines them). Managers and admins."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params.functions import Query

from casedesk.core import clock
from casedesk.core.errors import PermissionDenied
from casedesk.core.schemas import Error
from casedesk.kb import analytics
from casedesk.tenancy.api_auth import member

router = Router(tags=["kb"])
ERRORS: dict[int, type[Error]] = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
MAX_ARTICLES = 200
MAX_GAPS = 20


class FiguresOut(Schema):
    views: int
    suggestions_shown: int
    opened: int
    solved: int
    self_service_deflections: int
    self_service_reads: int
    deflection_rate: float | None


class ArticleFiguresOut(FiguresOut):
    id: int
    title: str


class ContentGapOut(Schema):
    query: str
    searches: int


class AnalyticsOut(Schema):
    since: date
    until: date
    totals: FiguresOut
    articles: list[ArticleFiguresOut]
    content_gaps: list[ContentGapOut]


def _figures(figures: analytics.Figures) -> dict[str, Any]:
    return {"views": figures.views, "suggestions_shown": figures.suggestions_shown,
            "opened": figures.opened, "solved": figures.solved,
            "self_service_deflections": figures.self_service_deflections,
            "self_service_reads": figures.self_service_reads,
            "deflection_rate": figures.deflection_rate}


@router.get("/kb/analytics", response={200: AnalyticsOut, **ERRORS},
            summary="Deflection analytics of a period")
def get_analytics(request: HttpRequest,
                  since: date | None = Query(None, description=(
                      "The first day counted (in the tenant's time zone); default: 30 days before "
                      "`until`.")),
                  until: date | None = Query(None, description=(
                      f"The day after the last one counted (exclusive); default: "
                      f"tomorrow. At most {analytics.MAX_DAYS} days after `since`."))) -> Any:
    """Per article (the 200 most opened, then most viewed): views, suggestions
    shown, opened, solved, self-service reads and deflections, and the deflection rate
    (solved + self-service deflections) / (opened + self-service reads), null when nothing was
    opened or read; the same summed over the tenant; and the most frequent searches that found
    nothing. Managers and admins."""
    membership = member(request)
    if not membership.is_manager:
        raise PermissionDenied("Only a manager or admin may see the knowledge base analytics.")
    tenant = membership.tenant
    span = analytics.period(tenant, since, until, clock.now())
    start, end = span.start, span.end
    articles = analytics.article_figures(tenant, since=start, until=end, limit=MAX_ARTICLES)
    return {
        "since": span.since, "until": span.until,
        "totals": _figures(analytics.tenant_totals(tenant, since=start, until=end)),
        "articles": [{"id": a.article_id, "title": a.title, **_figures(a)} for a in articles],
        "content_gaps": [{"query": g.query, "searches": g.searches}
                         for g in analytics.content_gaps(tenant, since=start, until=end,
                                                          limit=MAX_GAPS)],
    }
